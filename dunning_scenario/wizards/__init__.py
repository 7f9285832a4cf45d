from . import dunning_invoice_pause
