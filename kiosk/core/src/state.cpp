// Screen ids and small questions about the state that screens and tests ask.
#include "kiosk/core/state.hpp"

#include "kiosk/core/text.hpp"

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

std::string shortFilingId(const std::string& filingId)
{
    return filingId.substr(0, 8);
}

} // namespace shensu::kiosk
