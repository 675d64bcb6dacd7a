// Case states and due-date rules (see workflow.hpp).
#include "workflow.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace shensu::central
{

using namespace std::chrono;

const std::vector<CaseState>& caseStates()
{
    // 已轉交權責機關 is the platform's own status text (seed 000, 3.2 案件進度查詢). The others are
    // built from the manual's steps for the agency: 確認接收 (4.1.2), 回報初步受理情形(3日內)
    // (4.2.2), 回報處理結果(1個月內) (4.2.3), 已結案 (4.3); 已收到 from the platform's e-mail
    // ("已收到您的通報案件").
    static const std::vector<CaseState> states {
        { "received", "已收到通報案件" },
        { "forwarded", "已轉交權責機關" },
        { "accepted", "權責機關已確認接收" },
        { "initial_reported", "權責機關已回報初步受理情形" },
        { "result_reported", "權責機關已回報處理結果" },
        { "closed", "已結案" },
    };
    return states;
}

std::optional<std::size_t> caseStateIndex(std::string_view code)
{
    const auto& states = caseStates();
    for (std::size_t i = 0; i < states.size(); ++i)
        if (states[i].code == code) return i;
    return std::nullopt;
}

const CaseState& caseState(std::string_view code)
{
    const auto i = caseStateIndex(code);
    if (!i) throw WorkflowError("unknown case state '" + std::string(code) + "'");
    return caseStates()[*i];
}

namespace
{
    std::optional<year_month_day> parseDate(const std::string& text)
    {
        int y = 0;
        unsigned m = 0, d = 0;
        char tail = 0;
        if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
            return std::nullopt;
        const year_month_day ymd { year(y), month(m), day(d) };
        if (!ymd.ok()) return std::nullopt;
        return ymd;
    }

    std::string formatDate(year_month_day ymd)
    {
        char text[16];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
        return text;
    }

    Period parsePeriod(const nlohmann::json& j, const char* name, Period fallback)
    {
        if (!j.contains(name)) return fallback;
        const auto& p = j.at(name);
        Period period = fallback;
        if (!p.is_object()) throw WorkflowError(std::string(name) + " must be an object");
        period.amount = p.value("amount", fallback.amount);
        const std::string unit = p.value("unit", std::string());
        if (unit == "calendarDays")
            period.unit = Period::Unit::CALENDAR_DAYS;
        else if (unit == "workingDays")
            period.unit = Period::Unit::WORKING_DAYS;
        else if (unit == "months")
            period.unit = Period::Unit::MONTHS;
        else if (!unit.empty() || !p.contains("unit"))
            throw WorkflowError(std::string(name)
                + ".unit must be \"calendarDays\", \"workingDays\" or \"months\"");
        if (period.amount < 0 || period.amount > 3650)
            throw WorkflowError(std::string(name) + ".amount out of range");
        return period;
    }

    RateLimit parseLimit(const nlohmann::json& j, const char* name, RateLimit fallback)
    {
        if (!j.contains(name)) return fallback;
        const auto& l = j.at(name);
        RateLimit limit { l.value("burst", fallback.burst),
            milliseconds(
                l.value("intervalMs", static_cast<long long>(fallback.interval.count()))) };
        if (limit.burst < 1 || limit.interval.count() < 0)
            throw WorkflowError(std::string(name) + " needs burst >= 1 and intervalMs >= 0");
        return limit;
    }

    std::vector<std::string> parseDates(const nlohmann::json& j, const char* name)
    {
        std::vector<std::string> dates;
        if (!j.contains(name)) return dates;
        for (const auto& d : j.at(name)) {
            const auto text = d.get<std::string>();
            if (!parseDate(text)) throw WorkflowError(std::string(name) + ": bad date " + text);
            dates.push_back(text);
        }
        std::sort(dates.begin(), dates.end());
        return dates;
    }
} // namespace

WorkflowRules WorkflowRules::fromJson(const nlohmann::json& json)
{
    WorkflowRules rules;
    try {
        if (!json.is_object()) throw WorkflowError("the workflow rules must be a JSON object");
        const auto deadlines = json.value("deadlines", nlohmann::json::object());
        rules.initialReport = parsePeriod(deadlines, "initialReport", rules.initialReport);
        rules.resultReport = parsePeriod(deadlines, "resultReport", rules.resultReport);
        rules.resultExtension = parsePeriod(deadlines, "resultExtension", rules.resultExtension);
        rules.maxResultExtensions = deadlines.value("maxResultExtensions", 1);
        if (rules.maxResultExtensions < 0)
            throw WorkflowError("maxResultExtensions must not be negative");
        const auto calendar = json.value("calendar", nlohmann::json::object());
        rules.holidays = parseDates(calendar, "holidays");
        rules.workingSaturdays = parseDates(calendar, "workingSaturdays");
        const auto limits = json.value("statusQueries", nlohmann::json::object());
        rules.statusPerKiosk = parseLimit(limits, "perKiosk", rules.statusPerKiosk);
        rules.statusPerCase = parseLimit(limits, "perCase", rules.statusPerCase);
    } catch (const nlohmann::json::exception& e) {
        throw WorkflowError(std::string("workflow rules: ") + e.what());
    }
    return rules;
}

WorkflowRules WorkflowRules::load(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in) throw WorkflowError("cannot read workflow rules " + file.string());
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) throw WorkflowError(file.string() + " is not JSON");
    try {
        return fromJson(json);
    } catch (const WorkflowError& e) {
        throw WorkflowError(file.string() + ": " + e.what());
    }
}

bool WorkflowRules::isWorkingDay(year_month_day ymd) const
{
    const std::string text = formatDate(ymd);
    if (std::binary_search(holidays.begin(), holidays.end(), text)) return false;
    const weekday wd { sys_days(ymd) };
    if (wd == Sunday) return false;
    if (wd == Saturday)
        return std::binary_search(workingSaturdays.begin(), workingSaturdays.end(), text);
    return true;
}

std::string WorkflowRules::addPeriod(const std::string& date, const Period& period) const
{
    const auto start = parseDate(date);
    if (!start) throw WorkflowError("bad date '" + date + "'");
    switch (period.unit) {
    case Period::Unit::CALENDAR_DAYS:
        return formatDate(year_month_day { sys_days(*start) + days(period.amount) });
    case Period::Unit::WORKING_DAYS: {
        sys_days d = sys_days(*start);
        for (int left = period.amount; left > 0;) {
            d += days(1);
            if (isWorkingDay(year_month_day { d })) --left;
        }
        return formatDate(year_month_day { d });
    }
    case Period::Unit::MONTHS: {
        const year_month ym = year_month(start->year(), start->month()) + months(period.amount);
        const day last = year_month_day_last(ym.year(), month_day_last(ym.month())).day();
        return formatDate(year_month_day { ym.year(), ym.month(), std::min(start->day(), last) });
    }
    }
    throw WorkflowError("unknown period unit");
}

std::string WorkflowRules::extendedResultDue(
    const std::string& receivedDate, const std::string& currentDue) const
{
    const auto received = parseDate(receivedDate);
    const auto due = parseDate(currentDue);
    if (!received || !due)
        throw WorkflowError("bad date '" + receivedDate + "' or '" + currentDue + "'");
    if (resultExtension.unit != Period::Unit::MONTHS || resultReport.unit != Period::Unit::MONTHS)
        return addPeriod(currentDue, resultExtension);
    const year_month ym = year_month(due->year(), due->month()) + months(resultExtension.amount);
    const day last = year_month_day_last(ym.year(), month_day_last(ym.month())).day();
    return formatDate(year_month_day { ym.year(), ym.month(), std::min(received->day(), last) });
}

std::string taipeiDate(system_clock::time_point t)
{
    return formatDate(year_month_day { floor<days>(t + hours(8)) });
}

} // namespace shensu::central
