#pragma once
// Every attribute type of the codec. Each has kType, a static parse(value[, transaction id])
// returning std::optional, and serialize(writer[, transaction id]) writing the value only (the
// MessageBuilder writes the type, length and padding).
#include "stun/address_attributes.hpp"
#include "stun/ice_attributes.hpp"
#include "stun/nat_attributes.hpp"
#include "stun/rfc8489_attributes.hpp"
#include "stun/turn_attributes.hpp"
