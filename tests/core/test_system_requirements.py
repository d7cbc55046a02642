"""Start-up check for the X11 libraries Qt's xcb plugin needs (issue 14, item 1).

The library lookup is injected: these tests do not depend on what this machine has installed.
"""
from __future__ import annotations

import re

from digitpad.core.system_requirements import (XCB_LIBRARIES, check_qt_platform, install_advice, qt_platform,
                                               read_os_release)
from support import ROOT

MINIMAL_DEBIAN = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}  # what issue 14 met


def lacking(*sonames):
    return lambda soname: soname not in sonames


def test_a_minimal_debian_is_told_what_to_install_for_each_distribution():
    message = check_qt_platform({"DISPLAY": ":0"}, load=lacking(*MINIMAL_DEBIAN),
                                os_release={"ID": "debian"}, platform="linux")
    assert message is not None
    lines = message.splitlines()
    apt = next(l for l in lines if "apt-get install" in l)
    assert apt.split("apt-get install")[1].split() == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"]
    assert "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms" in message
    assert "sudo pacman -S --needed xcb-util-cursor xcb-util-wm xcb-util-keysyms" in message
    assert "libxcb-cursor.so.0" in message  # names what is missing, not only the cure
    assert "Could not load" not in message and "abort" not in message


def test_this_systems_family_comes_first():
    missing = [XCB_LIBRARIES[0]]
    fedora = install_advice(missing, {"ID": "fedora"}).splitlines()
    ubuntu = install_advice(missing, {"ID": "ubuntu", "ID_LIKE": "debian"}).splitlines()
    unknown = install_advice(missing, {}).splitlines()
    first = lambda lines: next(l for l in lines if "install" in l and "sudo" in l)  # noqa: E731
    assert "dnf" in first(fedora) and "apt-get" in first(ubuntu) and "apt-get" in first(unknown)
    assert all(sum("sudo" in l for l in text) == 3 for text in (fedora, ubuntu, unknown))


def test_packages_are_listed_once_even_when_one_package_holds_several_libraries():
    message = check_qt_platform({}, load=lacking("libxcb-randr.so.0", "libxcb-shm.so.0", "libxcb.so.1"),
                                os_release={"ID": "arch"}, platform="linux")
    assert "sudo pacman -S --needed libxcb\n" in message + "\n"
    assert "apt-get install libxcb-randr0 libxcb-shm0 libxcb1" in message


def test_nothing_to_say_when_every_library_loads_or_xcb_is_not_used():
    everything = lambda soname: True  # noqa: E731
    nothing = lambda soname: False  # noqa: E731
    assert check_qt_platform({"DISPLAY": ":0"}, load=everything, platform="linux") is None
    for env in ({"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland;xcb"},
                {"XDG_SESSION_TYPE": "wayland"}):
        assert check_qt_platform(env, load=nothing, os_release={}, platform="linux") is None, env
    assert check_qt_platform({}, load=nothing, os_release={}, platform="darwin") is None
    assert check_qt_platform({}, load=nothing, os_release={}, platform="win32") is None


def test_no_display_is_said_too_once_the_libraries_are_there():
    message = check_qt_platform({}, load=lambda soname: True, platform="linux")
    assert "DISPLAY is not set" in message and "digitpad --help" in message
    assert check_qt_platform({"QT_QPA_PLATFORM": "offscreen"}, load=lambda soname: True, platform="linux") is None


def test_which_platform_qt_will_try():
    assert qt_platform({}, "linux") == "xcb"
    assert qt_platform({"XDG_SESSION_TYPE": "x11"}, "linux") == "xcb"
    assert qt_platform({"QT_QPA_PLATFORM": "xcb:nograb"}, "linux") == "xcb"
    assert qt_platform({"QT_QPA_PLATFORM": "offscreen"}, "linux") == "offscreen"
    assert qt_platform({"XDG_SESSION_TYPE": "wayland"}, "linux") == "wayland"


def test_os_release_is_read_and_a_missing_file_is_no_error(tmp_path):
    f = tmp_path / "os-release"
    f.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nID_LIKE="rhel fedora"\n# comment\n')
    assert read_os_release(str(f)) == {"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "ID": "debian",
                                       "ID_LIKE": "rhel fedora"}
    assert read_os_release(str(tmp_path / "none")) == {}


def test_the_app_prints_the_advice_and_exits_instead_of_starting_qt(monkeypatch, capsys):
    import sys

    from digitpad.core import system_requirements
    from digitpad.gui import app

    monkeypatch.setattr(system_requirements, "check_qt_platform", lambda: "install libxcb-cursor0")
    qt_was_loaded = "PySide6.QtWidgets" in sys.modules
    assert app.run() == 1
    assert "install libxcb-cursor0" in capsys.readouterr().err
    assert ("PySide6.QtWidgets" in sys.modules) == qt_was_loaded  # returned before Qt was touched


def test_the_readme_lists_every_package_the_check_can_ask_for():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## System requirements", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    for family, command in (("apt", "apt-get install"), ("dnf", "dnf install"), ("pacman", "pacman -S --needed")):
        listed = set(re.sub(r"\\\n\s*", " ", block.split(command, 1)[1]).split("\n", 1)[0].split())
        assert {getattr(lib, family) for lib in XCB_LIBRARIES} == listed, family
