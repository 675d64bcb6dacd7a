// The screen registry: which function draws which core screen. Add a screen here and in
// screens.hpp.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

ScreenFunction screenFunction(Screen screen) noexcept
{
    switch (screen) {
    case Screen::HOME:
        return drawHome;
    case Screen::INSERT_CARD:
        return drawInsertCard;
    case Screen::READING_CARD:
        return drawReadingCard;
    case Screen::CARD_READ:
        return drawCardRead;
    case Screen::CARD_ERROR:
        return drawCardError;
    case Screen::FORM:
        return drawForm;
    case Screen::REVIEW:
        return drawReview;
    case Screen::SUBMITTING:
        return drawSubmitting;
    case Screen::SUBMITTED:
        return drawSubmitted;
    case Screen::QUEUED:
        return drawQueued;
    case Screen::SUBMIT_ERROR:
        return drawSubmitError;
    case Screen::ANONYMOUS_INFO:
        return drawAnonymousInfo;
    case Screen::PIN_ENTRY:
        return drawPinEntry;
    case Screen::PIN_LAST_ATTEMPT:
        return drawPinLastAttempt;
    case Screen::CARD_LOGIN:
        return drawCardLogin;
    case Screen::CARD_BLOCKED:
        return drawCardBlocked;
    case Screen::LOGIN_REFUSED:
        return drawLoginRefused;
    case Screen::CASE_QUERY:
        return drawCaseQuery;
    case Screen::CASE_QUERYING:
        return drawCaseQuerying;
    case Screen::CASE_STATUS:
        return drawCaseStatus;
    case Screen::NHI_PASSWORD:
        return drawNhiPassword;
    case Screen::NHI_LAST_ATTEMPT:
        return drawNhiLastAttempt;
    case Screen::NHI_LOCKED:
        return drawNhiLocked;
    }
    return drawHome;
}

} // namespace shensu::kiosk::ui
