// Queued: saved durably on the kiosk, sent when central is reachable; shows the filing id's short
// form.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawQueued(Frame& f)
{
    title(f, f.tr("queued.title"));
    paragraph(f.tr("queued.body"));
    ImGui::Spacing();
    ImGui::TextUnformatted(f.tr("queued.filing_id").c_str());
    ImGui::PushFont(f.ui.fonts.receipt);
    ImGui::TextUnformatted(shortFilingId(f.state.filingId).c_str());
    ImGui::PopFont();
    paragraph(f.tr("queued.note"));
    if (f.state.filer == Filer::HEALTH_CARD) notice(f.tr("submitted.take_card"));
    beginFooter();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "queued.done", f.tr("submitted.done"), { width, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
