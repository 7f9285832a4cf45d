from . import dunning_invoice_pause
from . import dunning_call_log
from . import dunning_letter_post
from . import dunning_formal_notice_date
from . import dunning_run_preview
