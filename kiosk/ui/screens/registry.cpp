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
    }
    return drawHome;
}

} // namespace shensu::kiosk::ui
