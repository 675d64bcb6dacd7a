// Insert card: waits for a health card in any reader; the card worker reports the insertion.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawInsertCard(Frame& f)
{
    const bool citizen = f.state.filer == Filer::CITIZEN_CERT;
    title(f, f.tr(citizen ? "insert_card.citizen_title" : "insert_card.title"));
    paragraph(f.tr(citizen ? "insert_card.citizen_body" : "insert_card.body"));
    beginFooter();
    if (button(f, "insert_card.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
