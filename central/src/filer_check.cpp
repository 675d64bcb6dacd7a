// The filer block against the filing's signers and identity assertion (filer_check.hpp).
#include "filer_check.hpp"

#include <ctime>

namespace shensu::central
{

namespace
{
    FilerVerdict refuse(std::string reason)
    {
        return { 422, std::move(reason) };
    }

    std::string text(const nlohmann::json& object, const char* key)
    {
        const auto it = object.find(key);
        return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    }

    // "YYYY-MM-DDTHH:MM:SSZ" (the kiosk's createdAt) → time point; nullopt otherwise.
    std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& value)
    {
        std::tm tm {};
        char z = 0;
        int consumed = 0;
        if (value.size() != 20
            || std::sscanf(value.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &consumed)
                != 7
            || z != 'Z' || consumed != 20)
            return std::nullopt;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        const std::time_t t = timegm(&tm);
        if (t == static_cast<std::time_t>(-1)) return std::nullopt;
        return std::chrono::system_clock::from_time_t(t);
    }
} // namespace

FilerCheck::FilerCheck(const AuthService* auth, const std::filesystem::path& assertionCert)
    : auth_(auth)
    , assertions_(assertionCert)
{ }

FilerVerdict FilerCheck::check(const network::OpenedEnvelope& opened, const std::string& kioskId,
    std::chrono::system_clock::time_point now) const
{
    return check(nlohmann::json::parse(opened.content, nullptr, false), opened, kioskId, now);
}

FilerVerdict FilerCheck::check(const nlohmann::json& filing, const network::OpenedEnvelope& opened,
    const std::string& kioskId, std::chrono::system_clock::time_point now) const
{
    if (!filing.is_object() || !filing.contains("filer"))
        return refuse("filing has no filer block");
    const auto& filer = filing["filer"];
    const auto& cards = opened.otherSignerCertificates;
    if (cards.size() > 1) return refuse("filing carries more than one card signature");

    if (filer.is_string()) {
        if (filer != "anonymous") return refuse("filer block malformed");
        if (!cards.empty()) return refuse("anonymous filing carries a card signature");
        return {};
    }
    if (!filer.is_object()) return refuse("filer block malformed");
    const std::string method = text(filer, "method");
    if (method != "citizen_certificate" && !cards.empty())
        return refuse("card signature on a filing whose filer is not citizen_certificate");

    if (method == "citizen_certificate") {
        if (cards.empty()) return refuse("citizen_certificate filing without a card signature");
        if (!auth_)
            return refuse("central checks no citizen certificates (started without --moica-ca)");
        const CardResult signer = auth_->filingSigner(cards.front());
        if (!signer.unavailable.empty())
            return { 503, "central cannot check citizen certificates now" };
        if (signer.refusal)
            return refuse("card signature refused: " + std::string(refusalCode(*signer.refusal)));
        if (signer.identity.name != text(filer, "name")
            || signer.identity.agency != text(filer, "agency"))
            return refuse("card signer is not the filer");
        return {};
    }

    if (method == "health_card") {
        if (!filer.contains("assertion"))
            return refuse("health_card filing without an identity assertion");
        auto at = now;
        if (const auto created = parseUtc(text(filing, "createdAt")); created && *created < now)
            at = *created;
        try {
            const auto assertion = assertions_.verify(filer["assertion"], kioskId, at);
            if (assertion.method != "nhi" || assertion.name != text(filer, "name"))
                return refuse("identity assertion is not the filer's");
        } catch (const network::AssertionError& e) {
            return refuse(std::string("health_card filing: ") + e.what());
        }
        return {};
    }

    // A technician's filing (shensu-ctl) or a test's: no card, and no claim central could check.
    if (filer.contains("assertion"))
        return refuse("identity assertion on a filing that is not health_card");
    return {};
}

} // namespace shensu::central
