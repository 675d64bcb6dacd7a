// Case status (完成案件進度查詢, seed 000 3.2): the case number, its status in central's wording,
// and its dates in the 民國 calendar; 確認 ends the session and wipes it.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

namespace
{

    void line(Frame& f, const char* labelKey, const std::string& value)
    {
        if (value.empty()) return;
        ImGui::PushStyleColor(ImGuiCol_Text, toVec4(f.colors().textMuted));
        ImGui::TextUnformatted(f.tr(labelKey).c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine(360.0f);
        ImGui::TextUnformatted(value.c_str());
        ImGui::Spacing();
    }

} // namespace

// The date as the person reads it: 民國 115 年 11 月 23 日 (zh-TW), 2026-11-23 (en).
std::string caseDate(const Frame& f, const std::string& text)
{
    const Params params = caseDateParams(text);
    return params.empty() ? std::string {} : f.trf("case_status.date", params);
}

// Central's wording in zh-TW (its statusText, the seed's words); the translation in English when
// the state is one the kiosk knows.
std::string caseStatusText(const Frame& f)
{
    const CaseStatusView& v = f.state.queryStatus;
    const std::string key = "case_status.state." + v.status;
    if (f.state.language != Language::ZH_TW && f.ui.catalogue->has(f.state.language, key))
        return f.tr(key);
    return v.statusText;
}

void drawCaseStatus(Frame& f)
{
    const CaseStatusView& v = f.state.queryStatus;
    title(f, f.tr("case_status.title"));
    ImGui::TextUnformatted(f.tr("case_status.case_number").c_str());
    ImGui::PushFont(f.ui.fonts.receipt);
    ImGui::TextUnformatted(v.caseNumber.c_str());
    ImGui::PopFont();
    ImGui::Spacing();
    ImGui::TextUnformatted(f.tr("case_status.status").c_str());
    ImGui::PushFont(f.ui.fonts.title);
    ImGui::TextUnformatted(caseStatusText(f).c_str());
    ImGui::PopFont();
    ImGui::Spacing();
    ImGui::Spacing();
    line(f, "case_status.received_at", caseDate(f, v.receivedAt));
    line(f, "case_status.status_at", caseDate(f, v.statusAt));
    line(f, "case_status.initial_report_due", caseDate(f, v.initialReportDue));
    std::string result = caseDate(f, v.resultReportDue);
    if (!result.empty() && v.resultExtensions > 0)
        result += f.trf("case_status.extensions", { { "n", std::to_string(v.resultExtensions) } });
    line(f, "case_status.result_report_due", result);

    beginFooter();
    const float width = 300;
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() - ImGui::GetStyle().WindowPadding.x - width);
    if (primaryButton(f, "case_status.done", f.tr("case_status.done"), { width, TOUCH_HEIGHT }))
        f.emit(GoHome {});
}

} // namespace shensu::kiosk::ui
