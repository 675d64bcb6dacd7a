// Card login: the card checks the PIN and signs, then central checks the proof; nothing to tap.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardLogin(Frame& f)
{
    title(
        f, f.tr(f.state.filer == Filer::HEALTH_CARD ? "card_login.nhi_title" : "card_login.title"));
    if (f.state.readerPinPad && f.state.loginStep == LoginStep::CARD) {
        // The module is waiting for the reader's keypad now.
        notice(f.trf("card_login.reader_body",
            { { "seconds", std::to_string(f.state.readerPinTimeoutSeconds) } }));
    }
    paragraph(f.tr("card_login.body"));
}

} // namespace shensu::kiosk::ui
