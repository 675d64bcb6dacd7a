// The one full-display window: header (title, language toggle), then the current screen from the
// registry.
#include "screens/screens.hpp"

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
        ImGui::SameLine(width - toggleWidth + ImGui::GetStyle().WindowPadding.x);
        // The toggle's label is the other language, in that language: "English" / "中文".
        if (button(f, "common.language", f.tr("common.language"), { toggleWidth, 64 })) {
            f.emit(
                SetLanguage { f.state.language == Language::EN ? Language::ZH_TW : Language::EN });
        }
        // A 2 px rule as a filled rectangle: a 1 px line is two thin triangles that SDL's software
        // renderer rasterises with a visible step.
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const float right = at.x + ImGui::GetContentRegionAvail().x;
        ImGui::GetWindowDrawList()->AddRectFilled(
            ImVec2(at.x, at.y), ImVec2(right, at.y + 2), IM_COL32(150, 155, 162, 255));
        ImGui::Dummy(ImVec2(0, 2));
        ImGui::Spacing();
    }

} // namespace

std::vector<Event> drawFrame(const State& state, UiContext& ui)
{
    std::vector<Event> events;
    Frame f { state, ui, events };
    ui.widgets.clear();

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
    return events;
}

} // namespace shensu::kiosk::ui
