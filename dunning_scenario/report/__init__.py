from . import dunning_report_mixin
from . import dunning_receivable_report
from . import dunning_payment_delay_report
from . import dunning_dso_report
from . import dunning_effectiveness_report
