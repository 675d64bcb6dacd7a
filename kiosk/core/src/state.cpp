// Screen ids and small questions about the state that screens and tests ask.
#include "kiosk/core/state.hpp"

#include "kiosk/core/text.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace shensu::kiosk
{

const char* screenId(Screen screen) noexcept
{
    switch (screen) {
    case Screen::HOME:
        return "home";
    case Screen::INSERT_CARD:
        return "insert_card";
    case Screen::READING_CARD:
        return "reading_card";
    case Screen::CARD_READ:
        return "card_read";
    case Screen::CARD_ERROR:
        return "card_error";
    case Screen::FORM:
        return "form";
    case Screen::REVIEW:
        return "review";
    case Screen::SUBMITTING:
        return "submitting";
    case Screen::SUBMITTED:
        return "submitted";
    case Screen::QUEUED:
        return "queued";
    case Screen::SUBMIT_ERROR:
        return "submit_error";
    case Screen::ANONYMOUS_INFO:
        return "anonymous_info";
    case Screen::PIN_ENTRY:
        return "pin_entry";
    case Screen::PIN_LAST_ATTEMPT:
        return "pin_last_attempt";
    case Screen::CARD_LOGIN:
        return "card_login";
    case Screen::CARD_BLOCKED:
        return "card_blocked";
    case Screen::LOGIN_REFUSED:
        return "login_refused";
    case Screen::CASE_QUERY:
        return "case_query";
    case Screen::CASE_QUERYING:
        return "case_querying";
    case Screen::CASE_STATUS:
        return "case_status";
    case Screen::NHI_PASSWORD:
        return "nhi_password";
    case Screen::NHI_LAST_ATTEMPT:
        return "nhi_last_attempt";
    case Screen::NHI_LOCKED:
        return "nhi_locked";
    }
    return "unknown";
}

bool parseScreenId(const std::string& id, Screen& out) noexcept
{
    for (const auto s : ALL_SCREENS) {
        if (id == screenId(s)) {
            out = s;
            return true;
        }
    }
    return false;
}

State initialState(std::shared_ptr<const Form> form, std::string kioskId, Language language)
{
    State s;
    s.form = std::move(form);
    s.kioskId = std::move(kioskId);
    s.language = language;
    s.defaultLanguage = language;
    return s;
}

bool inSession(const State& state) noexcept
{
    return state.screen != Screen::HOME;
}

long remainingCharacters(const State& state, const std::string& fieldId)
{
    const auto* f = state.form ? state.form->field(fieldId) : nullptr;
    if (f == nullptr || f->maxLength == 0) return 0;
    const auto it = state.answers.find(fieldId);
    const std::size_t used = it == state.answers.end() ? 0 : codePoints(it->second);
    return static_cast<long>(f->maxLength) - static_cast<long>(used);
}

std::string formatCaseNumber(const std::string& digits)
{
    if (digits.size() <= CASE_NUMBER_DATE_DIGITS) return digits;
    return digits.substr(0, CASE_NUMBER_DATE_DIGITS) + '-' + digits.substr(CASE_NUMBER_DATE_DIGITS);
}

std::string groupDigits(const std::string& digits, std::size_t group)
{
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % group == 0) out += ' ';
        out += digits[i];
    }
    return out;
}

Params caseDateParams(const std::string& text)
{
    using namespace std::chrono;
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    int hh = 0;
    char tail = 0;
    // YYYY-MM-DD, then optionally THH:MM:SS with Z or fractional seconds (.123Z): central's UTC.
    if (text.size() < 10 || text[4] != '-' || text[7] != '-'
        || std::sscanf(text.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3)
        return {};
    year_month_day day { year { y }, month { m }, std::chrono::day { d } };
    if (!day.ok()) return {};
    // A timestamp is UTC: the person's calendar is Taipei's (UTC+8, no daylight saving).
    if (text.size() > 10) {
        if (std::sscanf(text.c_str() + 10, "T%2d:%*2d:%*2d%c", &hh, &tail) != 2 || hh < 0 || hh > 23
            || (tail != 'Z' && tail != '.'))
            return {}; // another offset than UTC would be shifted wrongly
        if (hh + 8 >= 24) day = year_month_day { sys_days { day } + days { 1 } };
    }
    const auto two = [](unsigned v) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%02u", v % 100);
        return std::string(buf);
    };
    const int gy = static_cast<int>(day.year());
    if (gy <= 1911) return {}; // before 民國 1
    const unsigned gm = static_cast<unsigned>(day.month());
    const unsigned gd = static_cast<unsigned>(day.day());
    return { { "roc", std::to_string(gy - 1911) }, { "y", std::to_string(gy) },
        { "m", std::to_string(gm) }, { "d", std::to_string(gd) }, { "mm", two(gm) },
        { "dd", two(gd) } };
}

std::string shortFilingId(const std::string& filingId)
{
    return filingId.substr(0, 8);
}

} // namespace shensu::kiosk
