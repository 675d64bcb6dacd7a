// A kiosk core loaded with the real form and a helper to feed it events, for tests that read as
// sentences.
#pragma once

#include "kiosk/core/step.hpp"

#include <string>
#include <vector>

namespace shensu::kiosk::test
{

inline std::shared_ptr<const Form> realForm()
{
    static const auto form
        = std::make_shared<const Form>(loadForm(SHENSU_ASSETS_DIR "/forms/dgpa-complaint.v1.json"));
    return form;
}

inline constexpr const char* READER = "Virtual PCD 00 00";

struct Kiosk {
    State state = initialState(realForm(), "KIOSK-TEST-01", Language::ZH_TW);
    std::vector<Command> commands; // everything emitted so far

    // An NhiLoginAnswered without a generation answers the login awaited now (tests of a late
    // answer give theirs).
    std::vector<Command> send(Event event)
    {
        if (auto* a = std::get_if<NhiLoginAnswered>(&event); a != nullptr && a->generation == 0)
            a->generation = state.nhiLoginGeneration;
        auto result = step(state, event);
        state = std::move(result.state);
        commands.insert(commands.end(), result.commands.begin(), result.commands.end());
        return result.commands;
    }

    template<typename C> std::vector<C> sent() const
    {
        std::vector<C> out;
        for (const auto& c : commands) {
            if (const auto* x = std::get_if<C>(&c)) out.push_back(*x);
        }
        return out;
    }

    // The health card read, central's status (3 tries left), its registration password typed (8
    // characters) and accepted by central: the card_read screen with central's name and agency.
    void healthCardLogin(const std::string& name = "林測試")
    {
        send(HealthCardRead { READER, name, NHI_CARD_NUMBER });
        send(NhiStatusAnswered { "ok", 3, state.nhiStatusGeneration });
        send(ConfirmNhiPassword { 8 });
        send(NhiLoginAnswered { "ok", 0, name, "測試區公所", ASSERTION });
    }
    inline static const nlohmann::json ASSERTION
        = { { "assertion", "eyJ0ZXN0Ijp0cnVlfQ==" }, { "signature", "c2ln" } };
    static constexpr const char* NHI_CARD_NUMBER = "000012345678";

    void fillValidAnonymousForm()
    {
        send(EditField { "agency", "測試市政府人事處" });
        send(EditField { "identity", "civil_servant" });
        send(EditField { "facts", "主管長期言語霸凌（測試資料）" });
    }
    void fillValidIdentifiedForm()
    {
        fillValidAnonymousForm();
        send(EditField { "title", "科員" });
        send(EditField { "phone", "02-23979298" });
    }
};

} // namespace shensu::kiosk::test
