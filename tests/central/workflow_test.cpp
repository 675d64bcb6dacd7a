// Central's due-date rules and case states, as the workflow file describes them.
#include "pg_store.hpp"
#include "workflow.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

using namespace shensu::central;
using Unit = Period::Unit;

TEST_CASE("deadlines in calendar days, working days and months", "[workflow]")
{
    WorkflowRules rules;
    CHECK(rules.addPeriod("2026-11-27", { 3, Unit::CALENDAR_DAYS }) == "2026-11-30");
    // Friday + 3 working days skips the weekend.
    CHECK(rules.addPeriod("2026-11-27", { 3, Unit::WORKING_DAYS }) == "2026-12-02");
    CHECK(rules.addPeriod("2026-01-31", { 1, Unit::MONTHS }) == "2026-02-28");
    CHECK(rules.addPeriod("2028-01-31", { 1, Unit::MONTHS }) == "2028-02-29");
    CHECK(rules.addPeriod("2026-12-31", { 1, Unit::MONTHS }) == "2027-01-31");
    CHECK_THROWS_AS(rules.addPeriod("2026-02-30", { 1, Unit::MONTHS }), WorkflowError);

    SECTION("holidays are skipped and working Saturdays count")
    {
        rules.holidays = { "2026-12-01" };
        CHECK(rules.addPeriod("2026-11-27", { 3, Unit::WORKING_DAYS }) == "2026-12-03");
        rules.holidays.clear();
        rules.workingSaturdays = { "2026-11-28" };
        CHECK(rules.addPeriod("2026-11-27", { 3, Unit::WORKING_DAYS }) == "2026-12-01");
    }
}

TEST_CASE(
    "the workflow file sets deadlines, calendar and limits and refuses nonsense", "[workflow]")
{
    const auto rules = WorkflowRules::fromJson(nlohmann::json::parse(R"({
        "deadlines": {"initialReport": {"amount": 3, "unit": "workingDays"},
                      "resultReport": {"amount": 20, "unit": "workingDays"},
                      "maxResultExtensions": 2},
        "calendar": {"holidays": ["2026-12-25", "2026-12-01"]},
        "statusQueries": {"perCase": {"burst": 2, "intervalMs": 500}}})"));
    CHECK(rules.initialReport.unit == Unit::WORKING_DAYS);
    CHECK(rules.resultReport.amount == 20);
    CHECK(rules.resultExtension.unit == Unit::MONTHS); // not in the file: the default
    CHECK(rules.maxResultExtensions == 2);
    CHECK(rules.holidays == std::vector<std::string> { "2026-12-01", "2026-12-25" });
    CHECK(rules.statusPerCase.burst == 2);
    CHECK(rules.statusPerCase.interval == std::chrono::milliseconds(500));
    CHECK(rules.statusPerKiosk.burst == 30);

    CHECK_THROWS_AS(WorkflowRules::fromJson(nlohmann::json::parse(
                        R"({"deadlines": {"initialReport": {"amount": 3}}})")),
        WorkflowError);
    CHECK_THROWS_AS(WorkflowRules::fromJson(
                        nlohmann::json::parse(R"({"calendar": {"holidays": ["2026-13-01"]}})")),
        WorkflowError);
    CHECK_THROWS_AS(WorkflowRules::fromJson(
                        nlohmann::json::parse(R"({"statusQueries": {"perKiosk": {"burst": 0}}})")),
        WorkflowError);
}

TEST_CASE("an extension in months counts from the day the filing was received, not from a "
          "clamped due date",
    "[workflow]")
{
    WorkflowRules rules; // result: 1 month, extension: 1 month
    const auto due = rules.addPeriod("2026-01-31", rules.resultReport);
    CHECK(due == "2026-02-28");
    const auto extended = rules.extendedResultDue("2026-01-31", due);
    CHECK(extended == "2026-03-31"); // not 03-28
    CHECK(rules.extendedResultDue("2026-01-31", extended) == "2026-04-30");
    rules.resultExtension = { 10, Unit::CALENDAR_DAYS };
    CHECK(rules.extendedResultDue("2026-01-31", due) == "2026-03-10");
}

TEST_CASE("the shipped workflow file holds the built-in defaults", "[workflow]")
{
    const char* source = std::getenv("SHENSU_SOURCE_DIR");
    REQUIRE(source);
    const auto shipped
        = WorkflowRules::load(std::filesystem::path(source) / "central/config/workflow.json");
    const WorkflowRules defaults;
    CHECK(shipped.initialReport.amount == defaults.initialReport.amount);
    CHECK(shipped.initialReport.unit == defaults.initialReport.unit);
    CHECK(shipped.resultReport.amount == defaults.resultReport.amount);
    CHECK(shipped.resultReport.unit == defaults.resultReport.unit);
    CHECK(shipped.resultExtension.unit == defaults.resultExtension.unit);
    CHECK(shipped.maxResultExtensions == defaults.maxResultExtensions);
    CHECK(shipped.statusPerKiosk.burst == defaults.statusPerKiosk.burst);
    CHECK(shipped.statusPerKiosk.interval == defaults.statusPerKiosk.interval);
    CHECK(shipped.statusPerCase.burst == defaults.statusPerCase.burst);
    CHECK(shipped.statusPerCase.interval == defaults.statusPerCase.interval);
}

TEST_CASE("case states go received, forwarded, accepted, initial report, result, closed with "
          "the platform's wording",
    "[workflow]")
{
    std::vector<std::string> codes;
    for (const auto& s : caseStates())
        codes.emplace_back(s.code);
    CHECK(codes
        == std::vector<std::string> {
            "received", "forwarded", "accepted", "initial_reported", "result_reported", "closed" });
    CHECK(caseState("forwarded").text == "已轉交權責機關");
    CHECK_THROWS_AS(caseState("lost"), WorkflowError);
}

TEST_CASE("the receipt date is the Taipei date", "[workflow]")
{
    using namespace std::chrono;
    const auto t = sys_days(year(2026) / November / 23) + hours(16) + minutes(30);
    CHECK(taipeiDate(t) == "2026-11-24");
    CHECK(taipeiDate(t - hours(1)) == "2026-11-23");
}

TEST_CASE(
    "central's PostgreSQL URI gets keepalives and timeouts, with or without query parameters, "
    "and the caller's own settings win",
    "[central]")
{
    const std::string ours = "options=-c%20lock_timeout%3D5s%20-c%20statement_timeout%3D15s%20-c%20"
                             "idle_in_transaction_session_timeout%3D30s";
    const std::string tcp
        = "keepalives=1&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
          "&tcp_user_timeout=15000&connect_timeout=10";
    CHECK(shensu::central::pgConnectionUri("postgresql://db.example/shensu")
        == "postgresql://db.example/shensu?" + ours + "&" + tcp);
    CHECK(shensu::central::pgConnectionUri("postgresql:///shensu?host=/run/postgresql&user=shensu")
        == "postgresql:///shensu?host=/run/postgresql&user=shensu&" + ours + "&" + tcp);
    CHECK(shensu::central::pgConnectionUri(
              "postgres://h/d?keepalives_idle=60&options=-c%20statement_timeout%3D60s")
        == "postgres://h/d?keepalives_idle=60&" + ours
            + "%20-c%20statement_timeout%3D60s&keepalives=1&keepalives_interval=5"
              "&keepalives_count=3&tcp_user_timeout=15000&connect_timeout=10");
}
