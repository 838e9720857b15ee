"""Device profiles: measured per-layer GPU/CPU times and hand-off costs.

``store`` reads the committed derived profiles (package data, ``splitsched/data/profiles``);
the importers turn third-party raw measurements into those files.
"""

from splitsched.profiles.store import DeviceProfile, list_devices, load_device, profiles_dir

__all__ = ["DeviceProfile", "list_devices", "load_device", "profiles_dir"]
