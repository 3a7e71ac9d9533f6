-- Random inclusion proofs at random past sizes of a log of N entries.
local n = 1000000
math.randomseed(42)
request = function()
  local size = math.random(1, n)
  local index = math.random(0, size - 1)
  return wrk.format("GET", "/v1/proof/inclusion?index=" .. index .. "&size=" .. size)
end
