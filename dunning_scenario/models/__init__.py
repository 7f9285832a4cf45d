from . import dunning_scenario
from . import dunning_level
from . import dunning_reminder
from . import dunning_reminder_line
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_move
