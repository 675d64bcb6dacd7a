// Submitted: the case number and verification code, large, to write down; then done.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

namespace
{

    void receiptLine(Frame& f, const std::string& label, const std::string& value)
    {
        ImGui::TextUnformatted(label.c_str());
        ImGui::PushFont(f.ui.fonts.receipt);
        ImGui::TextUnformatted(value.c_str());
        ImGui::PopFont();
        ImGui::Spacing();
    }

} // namespace

void drawSubmitted(Frame& f)
{
    title(f, f.tr("submitted.title"));
    receiptLine(f, f.tr("submitted.case_number"), f.state.caseNumber);
    receiptLine(f, f.tr("submitted.verification_code"), f.state.verificationCode);
    paragraph(f.tr("submitted.body"));
    if (f.state.filer == Filer::HEALTH_CARD) notice(f.tr("submitted.take_card"));
    beginFooter();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "submitted.done", f.tr("submitted.done"), { width, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
