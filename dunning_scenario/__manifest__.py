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
        # The templates first: the default levels and scenarios of
        # data/dunning_scenario_data.xml refer to them.
        "data/mail_template_data.xml",
        "data/sms_template_data.xml",
        "data/dunning_scenario_data.xml",
        "data/dunning_level_letter_data.xml",
        "data/dunning_interest_rate_data.xml",
        "report/dunning_letter_reports.xml",
        "report/dunning_letter_templates.xml",
        "report/dunning_litigation_reports.xml",
        "report/dunning_litigation_templates.xml",
        "views/dunning_interest_rate_views.xml",
        "views/dunning_scenario_views.xml",
        "views/dunning_level_views.xml",
        "views/dunning_reminder_views.xml",
        "views/dunning_run_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/dunning_reminder_portal_templates.xml",
        "wizards/dunning_invoice_pause_views.xml",
        "wizards/dunning_call_log_views.xml",
        "wizards/dunning_letter_post_views.xml",
        "views/dunning_menus.xml",
    ],
    "demo": [
        "demo/dunning_demo.xml",
        "demo/dunning_demo_invoices.xml",
    ],
    "assets": {
        "web.report_assets_common": [
            "dunning_scenario/static/src/scss/dunning_letter.scss",
        ],
        "web.assets_tests": [
            "dunning_scenario/static/tests/tours/**/*",
        ],
    },
    "pre_init_hook": "pre_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
