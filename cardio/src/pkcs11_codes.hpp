// The PKCS#11 return-code table behind pkcs11.cpp's choke point, visible to the unit tests.
#pragma once

#include "cardio/errors.hpp"

namespace shensu::cardio
{

// What a CKR_ value means for the person at the kiosk; INTERNAL for one the table does not know.
CardErrorCode cardErrorForCkr(unsigned long rv) noexcept;

} // namespace shensu::cardio
