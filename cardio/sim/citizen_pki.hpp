// The citizen card's RSA-2048 key and certificate: loaded from --citizen-pki DIR, or made at run
// time.
#pragma once

#include "cardio/bytes.hpp"

#include <filesystem>
#include <memory>

#include <openssl/evp.h>

namespace shensu::cardsim
{

struct CitizenCredentials {
    std::shared_ptr<EVP_PKEY> key; // RSA-2048 private key
    cardio::Bytes certificate; // DER
};

// Reads DIR/citizen.key and DIR/citizen.pem (scripts/make-test-pki writes them, chained to its
// moica-ca.pem); throws std::runtime_error when they cannot be read or do not belong together.
void loadCitizenPki(const std::filesystem::path& dir);

// What every simulated citizen card holds: the loaded pair, else (first use) a fresh RSA-2048 key
// with a self-signed certificate for the same synthetic person. Never written to disk.
std::shared_ptr<const CitizenCredentials> citizenCredentials();

} // namespace shensu::cardsim
