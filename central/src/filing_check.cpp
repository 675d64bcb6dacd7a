// Central runs the kiosk's validator on each filing's answers against the same form file.
#include "filing_check.hpp"

#include <kiosk/core/validation.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <set>
#include <stdexcept>

namespace shensu::central
{

FormRegistry FormRegistry::load(const std::filesystem::path& dir)
{
    FormRegistry registry;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        kiosk::Form form = kiosk::loadForm(file); // throws naming the file and the field
        auto key = std::make_pair(form.id, form.version);
        if (!registry.forms_.emplace(std::move(key), std::move(form)).second)
            throw std::runtime_error(file.string() + ": another file has this form id and version");
    }
    if (registry.forms_.empty()) throw std::runtime_error("no form files in " + dir.string());
    return registry;
}

const kiosk::Form* FormRegistry::find(const std::string& id, int version) const
{
    const auto it = forms_.find({ id, version });
    return it == forms_.end() ? nullptr : &it->second;
}

FilingVerdict checkFiling(const FormRegistry& forms, const nlohmann::json& filing)
{
    FilingVerdict verdict;
    const auto refuse = [&](const char* error) {
        verdict.ok = false;
        verdict.error = error;
        return verdict;
    };
    if (!filing.is_object() || !filing.contains("form") || !filing["form"].is_object()
        || !filing.contains("answers"))
        return refuse("not a filing");
    const auto& form = filing["form"];
    const auto id = form.find("id");
    const auto version = form.find("version");
    if (id == form.end() || !id->is_string() || version == form.end()
        || !version->is_number_integer() || version->get<std::int64_t>() < 0
        || (version->is_number_unsigned()
            && version->get<std::uint64_t>() > static_cast<std::uint64_t>(INT_MAX))
        || version->get<std::int64_t>() > INT_MAX)
        return refuse("not a filing");
    const kiosk::Form* found
        = forms.find(id->get<std::string>(), static_cast<int>(version->get<std::int64_t>()));
    if (found == nullptr) return refuse("unknown form");
    const bool anonymous
        = filing.contains("filer") && filing["filer"].is_string() && filing["filer"] == "anonymous";
    const auto issues = kiosk::validateFilingAnswers(*found, filing["answers"], !anonymous);
    if (issues.empty()) return verdict;
    // Each id once, at most MAX_FILING_ISSUES of them; an id the form could not have (an
    // unknown key: long, or not the ASCII of the form's ids) is not echoed back.
    std::set<std::string> seen;
    for (const auto& issue : issues) {
        const bool plain = issue.field.size() <= 64
            && std::all_of(issue.field.begin(), issue.field.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                       || c == '_' || c == '.' || c == '-';
               });
        const std::string field = plain ? issue.field : "(unreadable field id)";
        if (seen.insert(field).second) verdict.fields.push_back(field);
        if (verdict.fields.size() >= kiosk::MAX_FILING_ISSUES) break;
    }
    return refuse("answers do not match the form");
}

} // namespace shensu::central
