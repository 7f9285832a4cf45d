# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Dunning Scenarios",
    "summary": "Automated customer payment reminders by scenario, level and channel, "
    "following French late-payment law",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "license": "AGPL-3",
    "author": "dunning_scenario contributors",
    "depends": ["account", "sms", "portal", "phone_validation"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/dunning_groups.xml",
        "security/ir.model.access.csv",
        "security/dunning_security.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/dunning_scenario_data.xml",
        "views/dunning_scenario_views.xml",
        "views/dunning_level_views.xml",
        "views/dunning_reminder_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/dunning_invoice_pause_views.xml",
        "views/dunning_menus.xml",
    ],
    "demo": [
        "demo/dunning_demo.xml",
    ],
    "pre_init_hook": "pre_init_hook",
    "installable": True,
    "application": False,
}
