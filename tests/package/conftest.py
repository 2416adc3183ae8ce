import sys
from pathlib import Path

# The desktop tests' harness (Xvfb, waiting, finding windows) serves the package test too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop"))
