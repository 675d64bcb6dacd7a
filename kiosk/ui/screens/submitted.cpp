// Submitted: the case number and the verification code, large, and a QR code of both (libqrencode)
// to photograph; a reminder to keep them; then done (the session ends and is wiped).
#include "screens/screens.hpp"

#include <cstring>

#include <qrencode.h>

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

    // "1234567890123456" -> "1234 5678 9012 3456": easier to copy by hand; the QR code and the
    // automation event carry it exactly as central sent it.
    std::string grouped(const std::string& code)
    {
        std::string out;
        for (std::size_t i = 0; i < code.size(); ++i) {
            if (i > 0 && i % 4 == 0) out += ' ';
            out += code[i];
        }
        return out;
    }

    // Dark modules on a white square with the standard 4-module quiet zone, in both themes (phone
    // cameras expect dark on light).
    void qrCode(const std::string& text, ImVec2 at, float side)
    {
        QRcode* code = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (code == nullptr) return;
        const int modules = code->width + 8;
        const float cell = static_cast<float>(static_cast<int>(side / static_cast<float>(modules)));
        const float drawn = cell * static_cast<float>(modules);
        ImDrawList* draw = ImGui::GetWindowDrawList();
        draw->AddRectFilled(at, ImVec2(at.x + drawn, at.y + drawn), IM_COL32(255, 255, 255, 255));
        for (int y = 0; y < code->width; ++y) {
            for (int x = 0; x < code->width; ++x) {
                if ((code->data[y * code->width + x] & 1U) == 0) continue;
                const ImVec2 p0(at.x + cell * static_cast<float>(x + 4),
                    at.y + cell * static_cast<float>(y + 4));
                draw->AddRectFilled(p0, ImVec2(p0.x + cell, p0.y + cell), IM_COL32(0, 0, 0, 255));
            }
        }
        const auto width = static_cast<std::size_t>(code->width);
        explicit_bzero(code->data, width * width);
        QRcode_free(code);
    }

} // namespace

void drawCaseReceipt(Frame& f, std::initializer_list<const char*> paragraphs)
{
    const float qrSide = 300.0f;
    const ImVec2 qrAt(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - qrSide,
        ImGui::GetCursorScreenPos().y);
    // Left: the numbers and the reminder, wrapped short of the QR code on the right.
    const float left = ImGui::GetCursorScreenPos().x;
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0, 0, 0, 0));
    ImGui::BeginChild("receipt",
        ImVec2(qrAt.x - 24.0f - left, footerTop() - ImGui::GetCursorPosY() - 8.0f), false,
        ImGuiWindowFlags_NoScrollbar);
    receiptLine(f, f.tr("submitted.case_number"), f.state.caseNumber);
    receiptLine(f, f.tr("submitted.verification_code"), grouped(f.state.verificationCode));
    notice(f.tr("submitted.keep"));
    for (const char* key : paragraphs)
        paragraph(f.tr(key));
    if (f.state.filer == Filer::HEALTH_CARD) notice(f.tr("submitted.take_card"));
    ImGui::EndChild();
    ImGui::PopStyleColor();
    std::string qrText = f.trf("submitted.qr_text",
        { { "case", f.state.caseNumber }, { "code", f.state.verificationCode } });
    qrCode(qrText, qrAt, qrSide);
    explicit_bzero(qrText.data(), qrText.size());
    ImGui::SetCursorScreenPos(ImVec2(qrAt.x, qrAt.y + qrSide + 8));
    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
    ImGui::PushTextWrapPos(qrAt.x + qrSide - ImGui::GetWindowPos().x);
    ImGui::TextUnformatted(f.tr("submitted.qr_caption").c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
}

void drawSubmitted(Frame& f)
{
    title(f, f.tr("submitted.title"));
    drawCaseReceipt(f, { "submitted.body" });
    beginFooter();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "submitted.done", f.tr("submitted.done"), { width, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
