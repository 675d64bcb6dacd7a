// Reads the complaint form definition from JSON and checks it is complete.
#include "kiosk/core/form.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>

namespace shensu::kiosk
{

const FormField* Form::field(const std::string& fieldId) const noexcept
{
    for (const auto& f : fields) {
        if (f.id == fieldId) return &f;
    }
    return nullptr;
}

std::vector<std::string> Form::keys() const
{
    std::vector<std::string> out { titleKey, introKey };
    for (const auto& f : fields) {
        for (const auto* k : { &f.labelKey, &f.hintKey, &f.counterKey, &f.patternMessageKey }) {
            if (!k->empty()) out.push_back(*k);
        }
        for (const auto& o : f.options)
            out.push_back(o.labelKey);
    }
    return out;
}

namespace
{

    std::string need(const nlohmann::json& j, const char* key, const std::string& where)
    {
        if (!j.contains(key) || !j.at(key).is_string() || j.at(key).get<std::string>().empty()) {
            throw std::runtime_error(where + ": missing string \"" + key + "\"");
        }
        return j.at(key).get<std::string>();
    }

    std::string optional(const nlohmann::json& j, const char* key)
    {
        return j.contains(key) ? j.at(key).get<std::string>() : std::string {};
    }

    Requirement parseRequirement(const std::string& text, const std::string& where)
    {
        if (text == "always") return Requirement::ALWAYS;
        if (text == "identified") return Requirement::IDENTIFIED;
        if (text.empty() || text == "never") return Requirement::NEVER;
        throw std::runtime_error(where + ": \"required\" must be always|identified|never");
    }

} // namespace

Form parseForm(const nlohmann::json& document)
{
    try {
        Form form;
        form.id = need(document, "id", "form");
        form.version = document.at("version").get<int>();
        form.titleKey = need(document, "title", "form");
        form.introKey = need(document, "intro", "form");
        for (const auto& jf : document.at("fields")) {
            FormField f;
            f.id = need(jf, "id", "field");
            const std::string where = "field " + f.id;
            const auto type = need(jf, "type", where);
            if (type == "text") {
                f.type = FieldType::TEXT;
            } else if (type == "multiline") {
                f.type = FieldType::MULTILINE;
            } else if (type == "choice") {
                f.type = FieldType::CHOICE;
            } else {
                throw std::runtime_error(where + ": unknown type " + type);
            }
            f.labelKey = need(jf, "label", where);
            f.hintKey = optional(jf, "hint");
            f.counterKey = optional(jf, "counter");
            f.required = parseRequirement(optional(jf, "required"), where);
            f.maxLength = jf.value("maxLength", std::size_t { 0 });
            f.pattern = optional(jf, "pattern");
            f.patternMessageKey = optional(jf, "patternMessage");
            if (!f.pattern.empty()) {
                std::regex check(f.pattern); // throws std::regex_error on a bad pattern
                if (f.patternMessageKey.empty())
                    throw std::runtime_error(where + ": pattern without patternMessage");
            }
            f.prefillFromCard = jf.value("prefillFromCard", false);
            f.freeTextId = optional(jf, "freeTextId");
            f.freeTextMaxLength = jf.value("freeTextMaxLength", std::size_t { 0 });
            if (jf.contains("options")) {
                for (const auto& jo : jf.at("options")) {
                    ChoiceOption o { need(jo, "id", where), need(jo, "label", where),
                        jo.value("freeText", false) };
                    if (o.freeText && f.freeTextId.empty()) {
                        throw std::runtime_error(where + ": freeText option without freeTextId");
                    }
                    f.options.push_back(std::move(o));
                }
            }
            if (f.type == FieldType::CHOICE && f.options.empty())
                throw std::runtime_error(where + ": no options");
            form.fields.push_back(std::move(f));
        }
        return form;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("form: ") + e.what());
    } catch (const std::regex_error& e) {
        throw std::runtime_error(std::string("form: bad pattern: ") + e.what());
    }
}

Form loadForm(const std::filesystem::path& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot open form " + file.string());
    try {
        return parseForm(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("form " + file.string() + ": " + e.what());
    }
}

} // namespace shensu::kiosk
