// Loads and looks up the zh-TW and en translation tables.
#include "kiosk/core/catalogue.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace shensu::kiosk
{

const char* languageTag(Language language) noexcept
{
    return language == Language::EN ? "en" : "zh-TW";
}

bool parseLanguage(const std::string& tag, Language& out) noexcept
{
    if (tag == "zh-TW" || tag == "zh" || tag == "zh_TW") {
        out = Language::ZH_TW;
        return true;
    }
    if (tag == "en") {
        out = Language::EN;
        return true;
    }
    return false;
}

namespace
{

    std::map<std::string, std::string> readTable(const std::filesystem::path& file)
    {
        std::ifstream in(file);
        if (!in) throw std::runtime_error("cannot open catalogue " + file.string());
        std::map<std::string, std::string> table;
        try {
            const auto j = nlohmann::json::parse(in);
            for (const auto& [key, value] : j.items())
                table.emplace(key, value.get<std::string>());
        } catch (const nlohmann::json::exception& e) {
            throw std::runtime_error("catalogue " + file.string() + ": " + e.what());
        }
        return table;
    }

} // namespace

Catalogue Catalogue::load(const std::filesystem::path& dir)
{
    Catalogue c;
    c.zh_ = readTable(dir / "zh-TW.json");
    c.en_ = readTable(dir / "en.json");
    return c;
}

void Catalogue::loadFormStrings(const std::filesystem::path& dir, const std::string& formId)
{
    for (const auto language : { Language::ZH_TW, Language::EN }) {
        const auto file = dir / "forms" / (formId + "." + languageTag(language) + ".json");
        if (!std::filesystem::exists(file)) continue;
        for (auto& [key, text] : readTable(file))
            add(language, key, text);
    }
}

void Catalogue::add(Language language, std::string key, std::string text)
{
    (language == Language::EN ? en_ : zh_)[std::move(key)] = std::move(text);
}

const std::map<std::string, std::string>& Catalogue::table(Language language) const
{
    return language == Language::EN ? en_ : zh_;
}

std::string Catalogue::text(Language language, const std::string& key) const
{
    const auto& t = table(language);
    const auto it = t.find(key);
    return it == t.end() ? key : it->second;
}

std::string Catalogue::format(Language language, const std::string& key, const Params& params) const
{
    std::string out = text(language, key);
    for (const auto& [name, value] : params) {
        const std::string placeholder = "{" + name + "}";
        for (auto pos = out.find(placeholder); pos != std::string::npos;
             pos = out.find(placeholder, pos + value.size())) {
            out.replace(pos, placeholder.size(), value);
        }
    }
    return out;
}

bool Catalogue::has(Language language, const std::string& key) const
{
    return table(language).count(key) != 0;
}

std::vector<std::string> Catalogue::keys(Language language) const
{
    std::vector<std::string> out;
    for (const auto& [key, text] : table(language))
        out.push_back(key);
    return out;
}

std::vector<std::string> Catalogue::allTexts() const
{
    std::vector<std::string> out;
    for (const auto* t : { &zh_, &en_ }) {
        for (const auto& [key, text] : *t)
            out.push_back(text);
    }
    return out;
}

} // namespace shensu::kiosk
