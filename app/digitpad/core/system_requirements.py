"""The system libraries Qt's X11 ("xcb") platform plugin needs, checked before Qt starts.

PySide6 wheels bundle Qt but not the X11 libraries around it. On a minimal Linux system (a fresh
Debian without a desktop, a container) Qt finds one missing, prints "Could not load the Qt
platform plugin "xcb"" and aborts the process. DigitPad looks for them first and, if any is
missing, says which packages to install on each family of distributions instead.

Stdlib only: this runs before PySide6 is imported.
"""
from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Library:
    """A shared library and the package that installs it, per distribution family."""
    soname: str
    apt: str  # Debian, Ubuntu
    dnf: str  # Fedora, RHEL
    pacman: str  # Arch


#: What libqxcb.so and libQt6XcbQpa.so.6 load (their ELF NEEDED entries, PySide6 6.9), and what
#: libQt6Gui.so.6 loads beyond the C and C++ runtime. Qt's own libraries come with the wheel.
XCB_LIBRARIES: tuple[Library, ...] = (
    Library("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    Library("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    Library("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    Library("libxcb-image.so.0", "libxcb-image0", "xcb-util-image", "xcb-util-image"),
    Library("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    Library("libxcb-util.so.1", "libxcb-util1", "xcb-util", "xcb-util"),
    Library("libxcb-randr.so.0", "libxcb-randr0", "libxcb", "libxcb"),
    Library("libxcb-render.so.0", "libxcb-render0", "libxcb", "libxcb"),
    Library("libxcb-shape.so.0", "libxcb-shape0", "libxcb", "libxcb"),
    Library("libxcb-shm.so.0", "libxcb-shm0", "libxcb", "libxcb"),
    Library("libxcb-sync.so.1", "libxcb-sync1", "libxcb", "libxcb"),
    Library("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb", "libxcb"),
    Library("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb", "libxcb"),
    Library("libxcb.so.1", "libxcb1", "libxcb", "libxcb"),
    Library("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb", "libx11"),
    Library("libX11.so.6", "libx11-6", "libX11", "libx11"),
    Library("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    Library("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    Library("libGL.so.1", "libgl1", "libglvnd-glx", "libglvnd"),
    Library("libEGL.so.1", "libegl1", "libglvnd-egl", "libglvnd"),
    Library("libfontconfig.so.1", "libfontconfig1", "fontconfig", "fontconfig"),
    Library("libfreetype.so.6", "libfreetype6", "freetype", "freetype2"),
    Library("libglib-2.0.so.0", "libglib2.0-0", "glib2", "glib2"),
    Library("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", "dbus"),
)

#: (family, how ID / ID_LIKE in /etc/os-release spell it, install command, Library field)
FAMILIES = (("Debian/Ubuntu", ("debian", "ubuntu"), "sudo apt-get install", "apt"),
            ("Fedora", ("fedora", "rhel", "centos"), "sudo dnf install", "dnf"),
            ("Arch", ("arch",), "sudo pacman -S --needed", "pacman"))


def qt_platform(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str:
    """The platform plugin Qt will try first: ``QT_QPA_PLATFORM`` (its first entry), else what Qt
    picks on this system ("wayland" in a Wayland session, "xcb" on other Linux systems)."""
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if not platform.startswith("linux"):
        return {"darwin": "cocoa", "win32": "windows"}.get(platform, "")
    return "wayland" if environ.get("XDG_SESSION_TYPE") == "wayland" else "xcb"


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (and what it needs) as Qt would."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(load: Callable[[str], bool] = can_load) -> list[Library]:
    return [lib for lib in XCB_LIBRARIES if not load(lib.soname)]


def read_os_release(path: str = "/etc/os-release") -> dict[str, str]:
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep:
                    values[key] = value.strip().strip("\"'")
    except OSError:
        pass
    return values


def install_advice(missing: list[Library], os_release: Mapping[str, str] | None = None) -> str:
    """What to tell the user: the missing libraries and the command that installs them on each
    family of distributions, this system's family first."""
    ids = f"{(os_release or {}).get('ID', '')} {(os_release or {}).get('ID_LIKE', '')}".lower().split()
    families = sorted(FAMILIES, key=lambda f: not any(i in ids for i in f[1]))
    lines = ["DigitPad cannot open its window: Qt's X11 platform plugin (xcb) needs system libraries "
             "that are not installed:", "  " + " ".join(lib.soname for lib in missing), "",
             "Install them, then start DigitPad again:"]
    for name, _, command, field in families:
        packages = list(dict.fromkeys(getattr(lib, field) for lib in missing))
        lines.append(f"  {name + ':':15}{command} {' '.join(packages)}")
    lines += ["", "(The command-line tools work without them: digitpad --help.)"]
    return "\n".join(lines)


def check_qt_platform(environ: Mapping[str, str] = os.environ, load: Callable[[str], bool] = can_load,
                      os_release: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """``None`` if Qt can start here as far as we can tell, else the message to print.

    Only the X11 platform is checked: it is Qt's default on Linux and the one whose libraries a
    minimal system lacks. ``load`` and ``os_release`` are injectable for tests.
    """
    if not platform.startswith("linux") or qt_platform(environ, platform) != "xcb":
        return None
    missing = missing_libraries(load)
    if missing:
        return install_advice(missing, read_os_release() if os_release is None else os_release)
    if not environ.get("DISPLAY"):  # Qt would abort with "could not connect to display"
        return ("DigitPad cannot open its window: there is no X display (DISPLAY is not set). Start it from a "
                "desktop session, or with ssh -X; the command-line tools work without one: digitpad --help.")
    return None
