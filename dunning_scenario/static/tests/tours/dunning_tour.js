/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

/*
 * An accountant opens "To Remind", selects the reminders of two customers,
 * marks them as reminded, and sees their invoices move to the next level.
 * Data: tests/test_tour.py (two customers, each with an invoice at
 * "First reminder" and a draft reminder at "Second reminder").
 */

const CUSTOMERS = ["Tour Customer Alpha", "Tour Customer Beta"];

function openRemindersMenu(menuXmlid, title) {
  return [
    {
      content: "Open the Customers menu",
      trigger: 'button[data-menu-xmlid="account.menu_finance_receivables"]',
      run: "click",
    },
    {
      content: `Open ${title}`,
      trigger: `.dropdown-menu a[data-menu-xmlid="dunning_scenario.${menuXmlid}"]`,
      run: "click",
    },
    {
      content: `${title} is open`,
      trigger: `.o_breadcrumb:contains("${title}")`,
    },
  ];
}

function checkLevel(customer, level) {
  return {
    content: `The invoice of ${customer} is at level ${level}`,
    trigger: `.o_data_row:contains("${customer}") td[name="dunning_level_id"]:contains("${level}")`,
  };
}

registry.category("web_tour.tours").add("dunning_scenario_to_remind_tour", {
  url: "/odoo",
  steps: () => [
    ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
    ...openRemindersMenu("dunning_overdue_invoice_menu", "Overdue Invoices"),
    ...CUSTOMERS.map((customer) => checkLevel(customer, "First reminder")),
    ...openRemindersMenu("dunning_reminder_to_remind_menu", "To Remind"),
    {
      content: "Open the reminders of level Second reminder",
      trigger: '.o_group_header:contains("Second reminder")',
      run: "click",
    },
    ...CUSTOMERS.map((customer) => ({
      content: `Select the reminder of ${customer}`,
      trigger: `.o_data_row:contains("${customer}") .o_list_record_selector input`,
      run: "click",
    })),
    {
      content: "Mark the two reminders as reminded",
      trigger: '.o_control_panel button[name="action_mark_reminded"]',
      run: "click",
    },
    {
      content: "Nothing is left to remind",
      trigger: '.o_view_nocontent:contains("Nothing to remind today")',
    },
    ...openRemindersMenu("dunning_overdue_invoice_menu", "Overdue Invoices"),
    ...CUSTOMERS.map((customer) => checkLevel(customer, "Second reminder")),
  ],
});
