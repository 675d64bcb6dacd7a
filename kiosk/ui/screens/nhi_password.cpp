// Health-card login: the registration password (健保卡註冊密碼, seed 000 §2.2), typed on the
// on-screen keyboard's letters and symbols or on a physical keyboard, masked, with the tries
// central reported. The characters go into the app's locked cardio::NhiPassword, never into the
// State or an Event; the core learns only how many there are.
#include "screens/screens.hpp"

#include <algorithm>

namespace shensu::kiosk::ui
{

namespace
{
    // No app buffer (tests without one): a fallback, wiped with each new password screen.
    cardio::NhiPassword& fallbackPassword()
    {
        static cardio::NhiPassword none;
        return none;
    }
} // namespace

void prepareNhiPassword(UiContext& ui, const State& state)
{
    if (ui.nhiPasswordGeneration == state.nhiPasswordGeneration) return;
    if (ui.nhiPassword != nullptr) ui.nhiPassword->wipe();
    fallbackPassword().wipe();
    ui.passwordKeyboard = KeyboardMode::ENGLISH;
    ui.passwordShift = false;
    ui.nhiPasswordGeneration = state.nhiPasswordGeneration;
}

namespace
{
    // A physical keyboard: printable ASCII from ImGui's input queue (SDL_TEXTINPUT), Backspace
    // and Enter. ImGui's copy of the characters is overwritten once taken. Returns true on Enter.
    bool takePhysicalKeys(Frame& f, cardio::NhiPassword& password, bool& touched)
    {
        ImGuiIO& io = ImGui::GetIO();
        for (ImWchar& c : io.InputQueueCharacters) {
            if (c < 0x80 && password.size() < NHI_PASSWORD_MAX) password.push(static_cast<char>(c));
            c = 0;
            touched = true;
        }
        io.InputQueueCharacters.resize(0);
        if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Backspace))) {
            password.pop();
            touched = true;
        }
        (void)f;
        return ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter))
            || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_KeyPadEnter));
    }
} // namespace

void drawNhiPassword(Frame& f)
{
    prepareNhiPassword(f.ui, f.state);
    cardio::NhiPassword& password
        = f.ui.nhiPassword != nullptr ? *f.ui.nhiPassword : fallbackPassword();
    bool touched = false;
    const bool enter = takePhysicalKeys(f, password, touched);

    title(f, f.tr("nhi_password.title"));
    // The keyboard and the mask keep their place above the footer whatever the text size; the
    // texts above them scroll (a finger drag) when large text needs more room.
    const float spacing = ImGui::GetStyle().ItemSpacing.y;
    const float keysHeight = 5 * 52.0f + 4 * 6.0f + 2 * spacing;
    ImGui::PushFont(f.ui.fonts.receipt);
    const float maskHeight = ImGui::GetTextLineHeightWithSpacing();
    ImGui::PopFont();
    const float bottom = footerTop() - keysHeight - maskHeight - spacing;
    ImGui::BeginChild(
        "nhi_password.text", ImVec2(0, std::max(60.0f, bottom - ImGui::GetCursorPosY())), false);
    paragraph(f.tr("nhi_password.body"));
    if (!f.state.nhiMessageKey.empty()) errorText(f.tr(f.state.nhiMessageKey));
    if (f.state.nhiTriesLeft > 0) {
        notice(f.trf("nhi_password.tries_left", { { "n", std::to_string(f.state.nhiTriesLeft) } }));
    } else {
        notice(f.tr("nhi_password.no_count"));
    }
    paragraph(f.tr("nhi_password.rule"));
    ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
    ImGui::TextWrapped("%s", f.tr("nhi_password.forgot").c_str());
    ImGui::PopStyleColor();
    dragToScroll();
    ImGui::EndChild();

    // The mask: one star per character, in the receipt font so it reads from a step away.
    ImGui::PushFont(f.ui.fonts.receipt);
    std::string mask;
    for (std::size_t i = 0; i < password.size(); ++i)
        mask += i == 0 ? "*" : " *";
    ImGui::TextUnformatted(mask.empty() ? " " : mask.c_str());
    ImGui::PopFont();

    if (drawPasswordKeyboard(f, password)) touched = true;
    if (touched) f.emit(PinPadTouched {});

    beginFooter();
    if (button(f, "nhi_password.cancel", f.tr("common.cancel"), { 240, TOUCH_HEIGHT }))
        f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "nhi_password.confirm", f.tr("nhi_password.confirm"), { -1, TOUCH_HEIGHT })
        || enter)
        f.emit(ConfirmNhiPassword { password.size() });
}

} // namespace shensu::kiosk::ui
