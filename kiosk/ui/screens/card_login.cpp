// Card login: the card checks the PIN and signs, then central checks the proof; for a health card,
// central says the card's tries left, then checks the registration password. Nothing to tap.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardLogin(Frame& f)
{
    // A health card: first its state at central (before any password), then the password.
    const char* key = f.state.filer != Filer::HEALTH_CARD ? "card_login.title"
        : f.state.loginStep == LoginStep::NHI_STATUS      ? "card_login.nhi_status_title"
                                                          : "card_login.nhi_title";
    title(f, f.tr(key));
    if (f.state.readerPinPad && f.state.loginStep == LoginStep::CARD) {
        // The module is waiting for the reader's keypad now.
        notice(f.trf("card_login.reader_body",
            { { "seconds", std::to_string(f.state.readerPinTimeoutSeconds) } }));
    }
    paragraph(f.tr("card_login.body"));
}

} // namespace shensu::kiosk::ui
