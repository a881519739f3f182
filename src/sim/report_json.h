#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

// Tolerant reads of result.json (docs/sim.md) for the HTML report: a missing
// key, a null or a value of the wrong type reads as "not defined" (NaN, "" or
// an empty array) instead of throwing, so a partial document still renders.
namespace allot {

using Json = nlohmann::ordered_json;

// The value at `path` (object keys, outermost first); nullptr when a key is
// missing, a step is not an object, or the value is null.
const Json* Find(const Json& root, std::initializer_list<std::string_view> path);

// The number at `path`; NaN when it is not a number.
double NumberAt(const Json& root, std::initializer_list<std::string_view> path);

// The string at `path`; a number or boolean is printed; "" otherwise.
std::string TextAt(const Json& root, std::initializer_list<std::string_view> path);

// The array at `path`, or an empty array.
const Json& ArrayAt(const Json& root, std::initializer_list<std::string_view> path);

// The elements of the array at `path` as numbers, NaN for any non-number.
std::vector<double> NumbersAt(const Json& root, std::initializer_list<std::string_view> path);

// The names (`key` of each object) in the arrays at `array_key` of every run,
// in order of first appearance: the rows of a side-by-side table.
std::vector<std::string> UnionOfNames(const Json& runs, std::string_view array_key,
                                      std::string_view key);

// The object of the array at `array_key` of `run` whose `key` is `name`;
// nullptr when there is none.
const Json* FindNamed(const Json& run, std::string_view array_key, std::string_view key,
                      const std::string& name);

}  // namespace allot
