// Card login: the card checks the PIN and signs, then central checks the proof; nothing to tap.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardLogin(Frame& f)
{
    title(f, f.tr("card_login.title"));
    paragraph(f.tr("card_login.body"));
}

} // namespace shensu::kiosk::ui
