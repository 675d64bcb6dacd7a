// Queued: saved durably on the kiosk, sent when central is reachable; shows the filing id's short
// form, or, when the filing was sealed with a leased case number, that number and its code like the
// submitted screen.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawQueued(Frame& f)
{
    title(f, f.tr("queued.title"));
    if (!f.state.caseNumber.empty()) {
        // Sealed with a case number leased from central: final already, shown like a receipt.
        drawCaseReceipt(f, { "queued.leased_body" });
    } else {
        paragraph(f.tr("queued.body"));
        ImGui::Spacing();
        ImGui::TextUnformatted(f.tr("queued.filing_id").c_str());
        ImGui::PushFont(f.ui.fonts.receipt);
        ImGui::TextUnformatted(shortFilingId(f.state.filingId).c_str());
        ImGui::PopFont();
        paragraph(f.tr("queued.note"));
        if (f.state.filer == Filer::HEALTH_CARD) notice(f.tr("submitted.take_card"));
    }
    beginFooter();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "queued.done", f.tr("submitted.done"), { width, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
