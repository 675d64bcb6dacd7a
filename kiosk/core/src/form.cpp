// Reads a form definition from JSON and checks it is complete: every error names the file and the
// field.
#include "kiosk/core/form.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <stdexcept>

namespace shensu::kiosk
{

namespace
{

    const FormField* findIn(const std::vector<FormField>& fields, const std::string& id) noexcept
    {
        for (const auto& f : fields) {
            if (f.id == id) return &f;
        }
        return nullptr;
    }

    // "agency" / "identity_other" among these fields (not inside groups).
    const FormField* answerIn(const std::vector<FormField>& fields, const std::string& id)
    {
        for (const auto& f : fields) {
            if (f.id == id || (!f.freeTextId.empty() && f.freeTextId == id)) return &f;
        }
        return nullptr;
    }

} // namespace

const FormField* Form::field(const std::string& fieldId) const noexcept
{
    return findIn(fields, fieldId);
}

const FormField* Form::fieldOfAnswer(const std::string& answerId) const
{
    if (const auto* f = answerIn(fields, answerId)) return f;
    // "<group>.<n>.<field>"
    const auto first = answerId.find('.');
    if (first == std::string::npos) return nullptr;
    const auto second = answerId.find('.', first + 1);
    if (second == std::string::npos) return nullptr;
    const FormField* group = field(answerId.substr(0, first));
    if (group == nullptr || group->type != FieldType::GROUP) return nullptr;
    const std::string index = answerId.substr(first + 1, second - first - 1);
    if (index.empty() || index.size() > 3
        || index.find_first_not_of("0123456789") != std::string::npos)
        return nullptr;
    if (std::stoul(index) >= group->maxItems) return nullptr;
    return answerIn(group->fields, answerId.substr(second + 1));
}

std::vector<std::string> splitChoices(const std::string& answer)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= answer.size()) {
        const auto comma = answer.find(',', start);
        const auto end = comma == std::string::npos ? answer.size() : comma;
        if (end > start) out.push_back(answer.substr(start, end - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::size_t groupItems(const FormField& group, const std::string& answer)
{
    if (answer.empty() || answer.size() > 3
        || answer.find_first_not_of("0123456789") != std::string::npos)
        return group.minItems;
    const auto n = static_cast<std::size_t>(std::stoul(answer));
    return std::clamp(n, group.minItems, group.maxItems);
}

std::vector<std::string> Form::keys() const
{
    std::vector<std::string> out { titleKey, introKey };
    std::vector<const FormField*> todo;
    for (const auto& f : fields)
        todo.push_back(&f);
    while (!todo.empty()) {
        const FormField& f = *todo.back();
        todo.pop_back();
        for (const auto* k : { &f.labelKey, &f.hintKey, &f.counterKey, &f.patternMessageKey }) {
            if (!k->empty()) out.push_back(*k);
        }
        for (const auto& o : f.options)
            out.push_back(o.labelKey);
        for (const auto& sub : f.fields)
            todo.push_back(&sub);
    }
    return out;
}

namespace
{

    struct FormError : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

    std::string need(const nlohmann::json& j, const char* key, const std::string& where)
    {
        if (!j.contains(key) || !j.at(key).is_string() || j.at(key).get<std::string>().empty()) {
            throw FormError(where + ": missing string \"" + key + "\"");
        }
        return j.at(key).get<std::string>();
    }

    std::string optional(const nlohmann::json& j, const char* key, const std::string& where)
    {
        if (!j.contains(key)) return {};
        if (!j.at(key).is_string()) throw FormError(where + ": \"" + key + "\" must be a string");
        return j.at(key).get<std::string>();
    }

    std::size_t count(
        const nlohmann::json& j, const char* key, std::size_t fallback, const std::string& where)
    {
        if (!j.contains(key)) return fallback;
        if (!j.at(key).is_number_unsigned())
            throw FormError(where + ": \"" + key + "\" must be a number ≥ 0");
        return j.at(key).get<std::size_t>();
    }

    bool flag(const nlohmann::json& j, const char* key, const std::string& where)
    {
        const auto it = j.find(key);
        if (it == j.end()) return false;
        if (!it->is_boolean()) throw FormError(where + ": \"" + key + "\" must be true or false");
        return *it == true;
    }

    Requirement parseRequirement(const std::string& text, const std::string& where)
    {
        if (text == "always") return Requirement::ALWAYS;
        if (text == "identified") return Requirement::IDENTIFIED;
        if (text.empty() || text == "never") return Requirement::NEVER;
        throw FormError(where + ": \"required\" must be always|identified|never");
    }

    FieldType parseType(const std::string& type, const std::string& where)
    {
        static const std::pair<const char*, FieldType> TYPES[]
            = { { "text", FieldType::TEXT }, { "multiline", FieldType::MULTILINE },
                  { "choice", FieldType::CHOICE }, { "multichoice", FieldType::MULTI_CHOICE },
                  { "phone", FieldType::PHONE }, { "email", FieldType::EMAIL },
                  { "date_roc", FieldType::DATE_ROC }, { "group", FieldType::GROUP } };
        for (const auto& [name, t] : TYPES) {
            if (type == name) return t;
        }
        throw FormError(where + ": unknown type \"" + type
            + "\" (text, multiline, choice, multichoice, phone, email, date_roc, group)");
    }

    void parseFields(const nlohmann::json& list, const std::string& prefix, bool inGroup,
        std::vector<FormField>& out);

    FormField parseField(const nlohmann::json& jf, const std::string& prefix, bool inGroup)
    {
        if (!jf.is_object())
            throw FormError("field" + (prefix.empty() ? "" : " " + prefix) + ": not an object");
        FormField f;
        f.id = need(jf, "id", prefix.empty() ? "field" : "field " + prefix + "*");
        const std::string where = "field " + prefix + f.id;
        if (f.id.find_first_of(".,") != std::string::npos)
            throw FormError(where + ": an id cannot contain '.' or ','");
        f.type = parseType(need(jf, "type", where), where);
        f.labelKey = need(jf, "label", where);
        f.hintKey = optional(jf, "hint", where);
        f.counterKey = optional(jf, "counter", where);
        f.required = parseRequirement(optional(jf, "required", where), where);
        f.maxLength = count(jf, "maxLength", 0, where);
        f.pattern = optional(jf, "pattern", where);
        f.patternMessageKey = optional(jf, "patternMessage", where);
        if (!f.pattern.empty()) {
            try {
                f.compiledPattern = std::make_shared<const std::regex>(f.pattern);
            } catch (const std::regex_error& e) {
                throw FormError(where + ": bad pattern: " + e.what());
            }
            if (f.patternMessageKey.empty())
                throw FormError(where + ": pattern without patternMessage");
            if (f.maxLength == 0 || f.maxLength > MAX_PATTERN_LENGTH)
                throw FormError(where + ": a pattern needs a maxLength of at most "
                    + std::to_string(MAX_PATTERN_LENGTH));
        }
        if (!f.counterKey.empty() && f.maxLength == 0)
            throw FormError(where + ": a counter needs maxLength");
        f.prefillFromCard = flag(jf, "prefillFromCard", where);
        f.freeTextId = optional(jf, "freeTextId", where);
        f.freeTextMaxLength = count(jf, "freeTextMaxLength", 0, where);
        if (jf.contains("requiredWhen")) {
            const auto& w = jf.at("requiredWhen");
            f.requiredWhenField = need(w, "field", where + " requiredWhen");
            f.requiredWhenValue = need(w, "value", where + " requiredWhen");
        }
        std::set<std::string> optionIds;
        if (jf.contains("options")) {
            if (!f.isChoice()) throw FormError(where + ": options on a field that is not a choice");
            for (const auto& jo : jf.at("options")) {
                ChoiceOption o { need(jo, "id", where), need(jo, "label", where),
                    flag(jo, "freeText", where) };
                if (!optionIds.insert(o.id).second)
                    throw FormError(where + ": option \"" + o.id + "\" twice");
                if (o.id.find(',') != std::string::npos)
                    throw FormError(where + ": option \"" + o.id + "\" contains ','");
                if (o.freeText && f.freeTextId.empty())
                    throw FormError(where + ": option \"" + o.id
                        + "\" asks for free text but the field has no freeTextId");
                f.options.push_back(std::move(o));
            }
        }
        if (f.isChoice() && f.options.empty()) throw FormError(where + ": no options");
        if (f.type == FieldType::GROUP) {
            if (inGroup) throw FormError(where + ": groups cannot be nested");
            f.minItems = count(jf, "minItems", 1, where);
            f.maxItems = count(jf, "maxItems", 10, where);
            if (f.maxItems < 1 || f.minItems > f.maxItems)
                throw FormError(where + ": needs 1 ≤ maxItems and minItems ≤ maxItems");
            if (!jf.contains("fields") || !jf.at("fields").is_array() || jf.at("fields").empty())
                throw FormError(where + ": a group needs \"fields\"");
            parseFields(jf.at("fields"), prefix + f.id + ".", true, f.fields);
        } else if (jf.contains("fields")) {
            throw FormError(where + ": only a group has \"fields\"");
        }
        return f;
    }

    void parseFields(const nlohmann::json& list, const std::string& prefix, bool inGroup,
        std::vector<FormField>& out)
    {
        if (!list.is_array()) throw FormError("\"fields\" must be an array");
        std::set<std::string> ids;
        for (const auto& jf : list) {
            FormField f = parseField(jf, prefix, inGroup);
            for (const auto* id : { &f.id, &f.freeTextId }) {
                if (!id->empty() && !ids.insert(*id).second)
                    throw FormError("field " + prefix + *id + ": the id is used twice");
            }
            out.push_back(std::move(f));
        }
        // requiredWhen names a field of the same level (a sibling inside a group).
        for (const auto& f : out) {
            if (f.requiredWhenField.empty()) continue;
            const FormField* other = findIn(out, f.requiredWhenField);
            const std::string where = "field " + prefix + f.id + " requiredWhen";
            if (other == nullptr)
                throw FormError(where + ": no field \"" + f.requiredWhenField + "\" next to it");
            if (other->isChoice()) {
                bool known = false;
                for (const auto& o : other->options)
                    known = known || o.id == f.requiredWhenValue;
                if (!known)
                    throw FormError(where + ": \"" + f.requiredWhenField + "\" has no option \""
                        + f.requiredWhenValue + "\"");
            }
        }
    }

} // namespace

Form parseForm(const nlohmann::json& document)
{
    try {
        Form form;
        form.id = need(document, "id", "form");
        if (!document.contains("version") || !document.at("version").is_number_integer())
            throw FormError("form: missing number \"version\"");
        form.version = document.at("version").get<int>();
        form.titleKey = need(document, "title", "form");
        form.introKey = need(document, "intro", "form");
        if (!document.contains("fields")) throw FormError("form: missing \"fields\"");
        parseFields(document.at("fields"), "", false, form.fields);
        return form;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("form: ") + e.what());
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
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("form " + file.string() + ": " + e.what());
    }
}

} // namespace shensu::kiosk
