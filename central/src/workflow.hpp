// The responsible-agency workflow of the DGPA platform: case states, their order, and the
// due-date rules (read from a JSON file: calendar or working days, holidays).
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::central
{

class WorkflowError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// The states in order. code is stable (API, database); text is what the filer reads (zh-TW).
struct CaseState {
    std::string_view code;
    std::string_view text;
};
const std::vector<CaseState>& caseStates();
// nullopt for an unknown code.
std::optional<std::size_t> caseStateIndex(std::string_view code);
const CaseState& caseState(std::string_view code); // throws WorkflowError for an unknown code

// One deadline: an amount of calendar days, working days or months.
struct Period {
    enum class Unit { CALENDAR_DAYS, WORKING_DAYS, MONTHS };
    int amount = 0;
    Unit unit = Unit::CALENDAR_DAYS;
};

// Requests per time from one source, as a token bucket: `burst` at once, then one per
// `interval`.
struct RateLimit {
    int burst = 0;
    std::chrono::milliseconds interval { 0 };
};

struct WorkflowRules {
    // Both deadlines run from the day central received the filing (Taipei date): the receipt the
    // filer takes home can then name them.
    Period initialReport { 3, Period::Unit::CALENDAR_DAYS };
    Period resultReport { 1, Period::Unit::MONTHS };
    Period resultExtension { 1, Period::Unit::MONTHS };
    int maxResultExtensions = 1;
    // Days off besides Saturdays and Sundays, and Saturdays that are working days (補班), as
    // "YYYY-MM-DD".
    std::vector<std::string> holidays;
    std::vector<std::string> workingSaturdays;
    // POST /v1/cases/status, per kiosk (TLS client) and per case number.
    RateLimit statusPerKiosk { 30, std::chrono::seconds(2) };
    RateLimit statusPerCase { 5, std::chrono::minutes(1) };

    // Throws WorkflowError naming the problem. Keys absent from the file keep the defaults above.
    static WorkflowRules fromJson(const nlohmann::json& json);
    static WorkflowRules load(const std::filesystem::path& file);

    // date ("YYYY-MM-DD") + period. Working days skip weekends and holidays (a working Saturday
    // counts); months keep the day of month, clamped to the month's end.
    std::string addPeriod(const std::string& date, const Period& period) const;
    bool isWorkingDay(std::chrono::year_month_day day) const;
    // The result deadline after one more extension. Months count from the day of month the
    // filing was received (receivedDate), so a clamp is not carried on: received Jan 31, due
    // Feb 28, extended to Mar 31 (not Mar 28). Other units add to currentDue.
    std::string extendedResultDue(
        const std::string& receivedDate, const std::string& currentDue) const;
};

// "YYYY-MM-DD" of the Taipei (UTC+8) date of t.
std::string taipeiDate(std::chrono::system_clock::time_point t);

} // namespace shensu::central
