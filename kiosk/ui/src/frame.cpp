// The one full-display window: header (title, 結束 during a session, language toggle), then the
// current screen from the registry, then — on top — the countdown or the "end?" question.
#include "screens/screens.hpp"

#include <cfloat>

#include <imgui_internal.h> // the active text field and its caret (PlatformImePos)

namespace shensu::kiosk::ui
{

namespace
{

    void header(Frame& f)
    {
        const float width = ImGui::GetContentRegionAvail().x;
        ImGui::PushFont(f.ui.fonts.title);
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(f.tr("app.title").c_str());
        ImGui::PopFont();
        const float toggleWidth = 180.0f;
        const float finishWidth = 160.0f;
        const float gap = ImGui::GetStyle().ItemSpacing.x;
        const float right = width + ImGui::GetStyle().WindowPadding.x;
        // 結束 on every screen of a session (not while the filing is being stored: its outcome
        // must be shown).
        if (inSession(f.state) && f.state.screen != Screen::SUBMITTING) {
            ImGui::SameLine(right - toggleWidth - gap - finishWidth);
            if (button(f, "common.finish", f.tr("common.finish"), { finishWidth, 64 }))
                f.emit(AskEndSession {});
        }
        ImGui::SameLine(right - toggleWidth);
        // The toggle's label is the other language, in that language: "English" / "中文".
        if (button(f, "common.language", f.tr("common.language"), { toggleWidth, 64 })) {
            f.emit(
                SetLanguage { f.state.language == Language::EN ? Language::ZH_TW : Language::EN });
        }
        // A 2 px rule as a filled rectangle: a 1 px line is two thin triangles that SDL's software
        // renderer rasterises with a visible step.
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const float end = at.x + ImGui::GetContentRegionAvail().x;
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x, at.y), ImVec2(end, at.y + 2),
            ImGui::GetColorU32(toVec4(f.colors().border)));
        ImGui::Dummy(ImVec2(0, 2));
        ImGui::Spacing();
    }

    // A panel over everything: "還有 n 秒…" (the idle countdown) or "end and wipe?". What is under
    // it cannot be tapped.
    void sessionPanel(Frame& f)
    {
        const bool countdown = f.state.idleCountdown > 0;
        const ImGuiIO& io = ImGui::GetIO();
        const Palette& p = f.colors();
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(io.DisplaySize);
        ImGui::PushStyleColor(ImGuiCol_WindowBg, toVec4(p.background, 0.80f));
        constexpr ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove
            | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar;
        ImGui::Begin("session-panel", nullptr, flags);
        ImGui::PopStyleColor();
        const ImVec2 size(820, 360);
        ImGui::SetCursorPos(
            ImVec2((io.DisplaySize.x - size.x) / 2, (io.DisplaySize.y - size.y) / 2));
        ImGui::PushStyleColor(ImGuiCol_ChildBg, toVec4(p.overlayPanel));
        ImGui::PushStyleColor(ImGuiCol_Border, toVec4(p.notice));
        ImGui::PushStyleVar(ImGuiStyleVar_ChildBorderSize, 4.0f);
        ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(32, 28));
        ImGui::BeginChild("panel", size, true, ImGuiWindowFlags_AlwaysUseWindowPadding);
        ImGui::PopStyleColor(); // the border colour is for the panel, not its buttons
        ImGui::PushFont(f.ui.fonts.title);
        paragraph(countdown ? f.trf(
                      "session.countdown", { { "seconds", std::to_string(f.state.idleCountdown) } })
                            : f.tr("session.end_question"));
        ImGui::PopFont();
        ImGui::Spacing();
        paragraph(f.tr(countdown ? "session.countdown_body" : "session.end_body"));
        ImGui::SetCursorPosY(size.y - 28 - TOUCH_HEIGHT);
        const float w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
        if (button(f, "session.end", f.tr("session.end"), { w, TOUCH_HEIGHT }))
            f.emit(AskEndSession {});
        ImGui::SameLine();
        if (primaryButton(f, "session.continue", f.tr("session.continue"), { w, TOUCH_HEIGHT }))
            f.emit(ContinueSession {});
        ImGui::EndChild();
        ImGui::PopStyleVar(2);
        ImGui::PopStyleColor();
        ImGui::End();
    }

    // A system IME's composition, drawn over the field at its caret (ImGui 1.86 only draws
    // committed text): the pre-edit on the surface colour, underlined, with the IME's cursor.
    void imeComposition(Frame& f)
    {
        ImeComposition& ime = f.ui.ime;
        ime.drawn = {};
        const ImGuiContext& g = *ImGui::GetCurrentContext();
        const bool editing = g.ActiveId != 0 && g.ActiveId == g.InputTextState.ID;
        if (ime.text.empty() || !editing || g.PlatformImePos.x == FLT_MAX) return;
        const float caretBottom = g.PlatformImePos.y + ImGui::GetFontSize(); // the field's line
        ImGui::PushFont(f.ui.fonts.body);
        const float lineHeight = ImGui::GetFontSize();
        const ImVec2 at(g.PlatformImePos.x + 1.0f, caretBottom - lineHeight);
        const ImVec2 size = ImGui::CalcTextSize(ime.text.c_str());
        const Palette& p = f.colors();
        ImDrawList* draw = ImGui::GetForegroundDrawList();
        const ImVec2 end(at.x + size.x + 4.0f, at.y + lineHeight + 4.0f);
        draw->AddRectFilled(ImVec2(at.x, at.y - 2.0f), end, ImGui::GetColorU32(toVec4(p.surface)));
        draw->AddText(
            ImVec2(at.x + 2.0f, at.y), ImGui::GetColorU32(toVec4(p.text)), ime.text.c_str());
        draw->AddRectFilled(ImVec2(at.x + 2.0f, end.y - 3.0f), ImVec2(end.x - 2.0f, end.y - 1.0f),
            ImGui::GetColorU32(toVec4(p.accent)));
        // The IME's own cursor inside the composition.
        const char* cut = ime.text.c_str();
        const char* textEnd = cut + ime.text.size();
        for (int i = 0; i < ime.cursor && cut < textEnd; ++i) {
            unsigned c = 0;
            cut += ImTextCharFromUtf8(&c, cut, textEnd);
        }
        const float cx = at.x + 2.0f + ImGui::CalcTextSize(ime.text.c_str(), cut).x;
        draw->AddRectFilled(ImVec2(cx, at.y), ImVec2(cx + 2.0f, at.y + lineHeight),
            ImGui::GetColorU32(toVec4(p.text)));
        ImGui::PopFont();
        ime.drawn = WidgetRect { at.x, at.y - 2.0f, end.x, end.y, true };
    }

} // namespace

std::vector<Event> drawFrame(const State& state, UiContext& ui)
{
    std::vector<Event> events;
    Frame f { state, ui, events };
    ui.widgets.clear();
    if (ui.highContrast != state.highContrast || !ui.paletteApplied) {
        applyPalette(palette(state.highContrast));
        ui.highContrast = state.highContrast;
        ui.paletteApplied = true;
    }
    setCurrentPalette(palette(state.highContrast));

    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    constexpr ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove
        | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus
        | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
    ImGui::Begin("kiosk", nullptr, flags);
    ImGui::PushID(screenId(state.screen)); // widgets of different screens never share ImGui state
    header(f);
    screenFunction(state.screen)(f);
    ImGui::PopID();
    ImGui::End();
    const bool panel = state.idleCountdown > 0 || state.confirmingEnd;
    if (panel) {
        ui.ime.drawn = {};
    } else {
        imeComposition(f);
    }
    // A press anywhere (scrolling the review, say) shows someone is there. Not under the panel:
    // there only its buttons decide.
    if (!panel && events.empty() && ImGui::IsMouseClicked(ImGuiMouseButton_Left))
        events.push_back(Touched {});
    if (panel) {
        ui.widgets.clear(); // under the panel nothing can be tapped
        // The panel's events replace whatever the screen under it reported this frame.
        events.clear();
        sessionPanel(f);
    }
    return events;
}

} // namespace shensu::kiosk::ui
