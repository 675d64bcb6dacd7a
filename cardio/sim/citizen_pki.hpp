// The citizen card's RSA-2048 key and certificate: loaded from --citizen-pki DIR, or made at run
// time.
#pragma once

#include "cardio/bytes.hpp"

#include <filesystem>
#include <memory>
#include <string>

#include <openssl/evp.h>

namespace shensu::cardsim
{

struct CitizenCredentials {
    std::shared_ptr<EVP_PKEY> key; // RSA-2048 private key
    cardio::Bytes certificate; // DER
};

// Remembers DIR and reads DIR/citizen.key and DIR/citizen.pem at once (scripts/make-test-pki writes
// them, chained to its moica-ca.pem); throws std::runtime_error when they cannot be read or do not
// belong together.
void loadCitizenPki(const std::filesystem::path& dir);

// What a simulated citizen card holds: DIR/<name>.{key,pem} of the loaded PKI (read on first use,
// e.g. "citizen-revoked"); without a PKI, for "citizen" only, a fresh RSA-2048 key with a
// self-signed certificate for the same synthetic person, never written to disk. Throws
// std::runtime_error when the pair cannot be had.
std::shared_ptr<const CitizenCredentials> citizenCredentials(const std::string& name = "citizen");

} // namespace shensu::cardsim
