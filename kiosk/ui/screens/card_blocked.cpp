// Card blocked: how to unblock it (MOICA with the subscriber code; GCA for organisation cards).
// The kiosk itself never offers a PIN change or unblock.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardBlocked(Frame& f)
{
    title(f, f.tr("card_blocked.title"));
    errorText(f.tr("card_blocked.body"));
    paragraph(f.tr("card_blocked.code"));
    beginFooter();
    if (primaryButton(f, "card_blocked.home", f.tr("common.home"), { -1, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
