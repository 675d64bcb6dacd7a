// Card read: shows the name from the card so the person can check it is theirs, then continue or
// cancel.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardRead(Frame& f)
{
    const bool citizen = f.state.filer == Filer::CITIZEN_CERT;
    title(f, f.tr(citizen ? "card_read.citizen_title" : "card_read.title"));
    ImGui::PushFont(f.ui.fonts.title);
    ImGui::TextUnformatted(f.trf("card_read.name", { { "name", f.state.cardHolderName } }).c_str());
    if (citizen && !f.state.agency.empty()) {
        ImGui::TextUnformatted(f.trf("card_read.agency", { { "agency", f.state.agency } }).c_str());
    }
    ImGui::PopFont();
    ImGui::Spacing();
    paragraph(f.tr(citizen ? "card_read.citizen_body" : "card_read.body"));
    beginFooter();
    if (button(f, "card_read.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "card_read.continue", f.tr("card_read.continue"), { -1, TOUCH_HEIGHT })) {
        f.emit(ContinueWithCard {});
    }
}

} // namespace shensu::kiosk::ui
