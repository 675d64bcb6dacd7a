// The translation catalogue (assets/i18n/<lang>.json): every string a person reads, by key.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace shensu::kiosk
{

enum class Language { ZH_TW, EN };

const char* languageTag(Language language) noexcept; // "zh-TW" | "en"
// "zh-TW" | "en" (also "zh", "zh_TW"); anything else -> false.
bool parseLanguage(const std::string& tag, Language& out) noexcept;

using Params = std::vector<std::pair<std::string, std::string>>;

class Catalogue
{
public:
    // Reads <dir>/zh-TW.json and <dir>/en.json (flat objects key -> string); throws
    // std::runtime_error.
    static Catalogue load(const std::filesystem::path& dir);

    // A form's own strings: <dir>/forms/<formId>.zh-TW.json and .en.json, when they exist (the
    // DGPA form's strings are in the main files). Only the active form's strings are loaded, so the
    // font atlas carries no other form's characters at the big sizes.
    void loadFormStrings(const std::filesystem::path& dir, const std::string& formId);

    void add(Language language, std::string key, std::string text);

    // The text, or the key itself when missing (visible on screen, caught by the completeness
    // test).
    std::string text(Language language, const std::string& key) const;
    // text() with "{name}" placeholders replaced.
    std::string format(Language language, const std::string& key, const Params& params) const;

    bool has(Language language, const std::string& key) const;
    std::vector<std::string> keys(Language language) const;
    // Every string of both languages (for the font's glyph ranges).
    std::vector<std::string> allTexts() const;

private:
    std::map<std::string, std::string> zh_;
    std::map<std::string, std::string> en_;
    const std::map<std::string, std::string>& table(Language language) const;
};

} // namespace shensu::kiosk
