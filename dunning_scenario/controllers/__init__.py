from . import main
from . import dunning_letters
