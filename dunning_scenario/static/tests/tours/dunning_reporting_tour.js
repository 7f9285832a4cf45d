/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

/*
 * An accountant opens the receivables dashboard, drills from the category
 * "Companies" down to its customers, opens the cockpit of one of them and
 * clicks "Remind now"; the customer then shows "To act on" in the cockpit list.
 * Data: tests/test_reporting_tour.py.
 */

const CUSTOMER = "Tour Cockpit Customer";

function openMenu(parentXmlid, menuXmlid, title) {
  return [
    {
      content: "Open the parent menu",
      trigger: `button[data-menu-xmlid="${parentXmlid}"]`,
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

registry.category("web_tour.tours").add("dunning_scenario_reporting_tour", {
  url: "/odoo",
  steps: () => [
    ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
    ...openMenu(
      "account.menu_finance_reports",
      "dunning_receivable_report_menu",
      "Receivables Dashboard"
    ),
    {
      content: "The dashboard shows the category Companies",
      trigger: '.o_pivot th.o_pivot_header_cell_closed:contains("Companies")',
      run: "click",
    },
    {
      content: "Drill down by customer",
      trigger: '.o-dropdown--menu .o_menu_item:contains("Customer")',
      run: "click",
    },
    {
      content: "The customer's overdue amount is in the 1-30 days column",
      trigger: `.o_pivot tr:has(th:contains("${CUSTOMER}")) td.o_pivot_cell_value`,
      run: "click",
    },
    {
      content: "Open the customer's cockpit from its invoice",
      trigger: `.o_data_row:contains("${CUSTOMER}") button[name="action_open_partner"]`,
      run: "click",
    },
    {
      content: "The customer's form shows what is overdue",
      trigger:
        '.o_form_view .o-form-buttonbox .o_field_widget[name="dunning_overdue_amount"]:contains("1,500.00")',
    },
    {
      content: "Open the cockpit, in the Invoicing tab",
      trigger: '.o_form_view .o_notebook .nav-link:contains("Invoicing")',
      run: "click",
    },
    {
      content: "The cockpit shows the dunning status",
      trigger:
        '.o_form_view .o_group .o_field_widget[name="dunning_status"]:contains("Waiting for its date")',
    },
    {
      content: "Remind now",
      trigger: '.o_form_view button[name="action_dunning_remind_now"]',
      run: "click",
    },
    {
      content: "The reminder is prepared, to remind",
      trigger: `.o_form_view .o_field_widget[name="partner_id"]:contains("${CUSTOMER}")`,
    },
    ...openMenu(
      "account.menu_finance_receivables",
      "dunning_cockpit_menu",
      "Customer Cockpit"
    ),
    {
      content: "The customer is now to act on",
      trigger: `.o_data_row:contains("${CUSTOMER}") td[name="dunning_status"]:contains("To act on")`,
    },
  ],
});
