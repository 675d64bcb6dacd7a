// Insert card: waits for a health card in any reader; the card worker reports the insertion.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawInsertCard(Frame& f)
{
    title(f, f.tr("insert_card.title"));
    paragraph(f.tr("insert_card.body"));
    beginFooter();
    if (button(f, "insert_card.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
