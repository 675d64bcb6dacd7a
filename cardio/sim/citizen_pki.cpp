// Loading or making the simulated citizen card's key and certificate with OpenSSL.
#include "citizen_pki.hpp"

#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace shensu::cardsim
{

namespace
{
    std::mutex mutex;
    std::filesystem::path pkiDir; // empty: no PKI loaded
    std::map<std::string, std::shared_ptr<const CitizenCredentials>> loaded;

    std::shared_ptr<EVP_PKEY> ownKey(EVP_PKEY* key)
    {
        if (key == nullptr) throw std::runtime_error("citizen card: no usable key");
        return { key, EVP_PKEY_free };
    }

    cardio::Bytes der(X509* certificate)
    {
        unsigned char* out = nullptr;
        const int length = i2d_X509(certificate, &out);
        if (length <= 0) throw std::runtime_error("citizen card: cannot encode the certificate");
        cardio::Bytes bytes(out, out + length);
        OPENSSL_free(out);
        return bytes;
    }

    // The synthetic cardholder, shaped like a MOICA subject (C, CN, serialNumber).
    void nameCitizen(X509_NAME* name)
    {
        auto add = [name](const char* field, const char* value) {
            X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
        };
        add("C", "TW");
        add("CN", "林測試");
        add("serialNumber", "0000000112345678");
    }

    std::shared_ptr<const CitizenCredentials> makeCredentials()
    {
        auto key = ownKey(EVP_RSA_gen(2048));
        std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
        if (!certificate) throw std::runtime_error("citizen card: X509_new failed");
        X509_set_version(certificate.get(), 2);
        ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
        X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 60L * 60 * 24 * 365);
        nameCitizen(X509_get_subject_name(certificate.get()));
        X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
        X509_set_pubkey(certificate.get(), key.get());
        if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0)
            throw std::runtime_error("citizen card: cannot sign its certificate");
        return std::make_shared<const CitizenCredentials>(
            CitizenCredentials { std::move(key), der(certificate.get()) });
    }

    std::FILE* openFile(const std::filesystem::path& path)
    {
        std::FILE* file = std::fopen(path.c_str(), "r");
        if (file == nullptr) throw std::runtime_error("cannot read " + path.string());
        return file;
    }
} // namespace

namespace
{
    std::shared_ptr<const CitizenCredentials> readCredentials(
        const std::filesystem::path& dir, const std::string& name)
    {
        std::FILE* keyFile = openFile(dir / (name + ".key"));
        EVP_PKEY* rawKey = PEM_read_PrivateKey(keyFile, nullptr, nullptr, nullptr);
        std::fclose(keyFile);
        auto key = ownKey(rawKey);
        std::FILE* certFile = openFile(dir / (name + ".pem"));
        std::unique_ptr<X509, decltype(&X509_free)> certificate(
            PEM_read_X509(certFile, nullptr, nullptr, nullptr), X509_free);
        std::fclose(certFile);
        if (!certificate)
            throw std::runtime_error("no certificate in " + (dir / (name + ".pem")).string());
        if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key.get()) != 2048
            || X509_check_private_key(certificate.get(), key.get()) != 1) {
            throw std::runtime_error(
                name + ".key is not the RSA-2048 key of " + name + ".pem in " + dir.string());
        }
        return std::make_shared<const CitizenCredentials>(
            CitizenCredentials { std::move(key), der(certificate.get()) });
    }
} // namespace

void loadCitizenPki(const std::filesystem::path& dir)
{
    auto citizen = readCredentials(dir, "citizen");
    std::lock_guard lock(mutex);
    pkiDir = dir;
    loaded.clear();
    loaded.emplace("citizen", std::move(citizen));
}

std::shared_ptr<const CitizenCredentials> citizenCredentials(const std::string& name)
{
    std::lock_guard lock(mutex);
    if (const auto it = loaded.find(name); it != loaded.end()) return it->second;
    if (pkiDir.empty() && name != "citizen")
        throw std::runtime_error(name + " needs a test PKI (--citizen-pki DIR)");
    auto made = pkiDir.empty() ? makeCredentials() : readCredentials(pkiDir, name);
    loaded.emplace(name, made);
    return made;
}

} // namespace shensu::cardsim
