"""Entry point frozen by PyInstaller: the same ``main`` as the ``digitpad`` console script."""
import multiprocessing
import sys

from digitpad.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # training prepares data in worker processes
    sys.exit(main())
