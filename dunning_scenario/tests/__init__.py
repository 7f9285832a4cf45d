from . import test_sending_volume
