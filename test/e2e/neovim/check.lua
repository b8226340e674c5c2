-- Headless Neovim 0.7 as an independent LSP client of the bundled memlens server (stdio).
-- Opens a file expected to have diagnostics and a file to hover, then writes what it saw as
-- JSON to $MEMLENS_OUT and quits. Inputs come from the environment (see neovim.test.ts).
local server = os.getenv('MEMLENS_SERVER')
local diag_file = os.getenv('MEMLENS_DIAG_FILE')
local hover_file = os.getenv('MEMLENS_HOVER_FILE')
local hover_line = tonumber(os.getenv('MEMLENS_HOVER_LINE')) -- 1-based
local hover_col = tonumber(os.getenv('MEMLENS_HOVER_COL')) -- 1-based
local out = os.getenv('MEMLENS_OUT')

local result = { diagnostics = {}, hover_errors = -1, hover = vim.NIL, setting_hover = vim.NIL, errors = {} }

local function finish()
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

local function hover(buf, line, col)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line - 1, character = col - 1 },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 15000) or {}
  for _, response in pairs(responses) do
    if response.err then table.insert(result.errors, vim.inspect(response.err)) end
    if response.result then return response.result end
  end
  return vim.NIL
end

local function open(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'nnm'
  return buf
end

-- uri -> number of errors (severity 1) in the server's latest publishDiagnostics for it
local published = {}

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    handlers = {
      ['textDocument/publishDiagnostics'] = function(e, res, ctx, config)
        local errors = 0
        for _, d in ipairs(res.diagnostics) do
          if d.severity == 1 then errors = errors + 1 end
        end
        published[res.uri] = errors
        return vim.lsp.diagnostic.on_publish_diagnostics(e, res, ctx, config)
      end,
    },
    name = 'memlens',
    cmd = { 'node', server, '--stdio' },
    -- settings under the VS Code names; Neovim 0.7 does not answer workspace/configuration, so push them
    settings = { memlens = { batch = 64 } },
    on_init = function(client)
      client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
    end,
    root_dir = vim.fn.fnamemodify(hover_file, ':h'),
    on_error = function(code, e)
      table.insert(result.errors, 'rpc error ' .. tostring(code) .. ': ' .. tostring(e))
    end,
  })
  assert(client_id, 'the server did not start')

  local diag_buf = open(diag_file)
  vim.lsp.buf_attach_client(diag_buf, client_id)
  vim.wait(15000, function() return #vim.diagnostic.get(diag_buf) > 0 end, 50)
  for _, d in ipairs(vim.diagnostic.get(diag_buf)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(result.diagnostics, {
      line = d.lnum + 1,
      col = d.col + 1,
      end_col = d.end_col + 1,
      severity = d.severity,
      code = d.code or lsp.code,
      source = d.source or lsp.source,
      message = d.message,
    })
  end

  -- the fixture has no config of its own: the batch comes from the settings (line 3 `  x = input(3, 32, 32)`)
  result.setting_hover = hover(diag_buf, 3, 3)

  local hover_buf = open(hover_file)
  vim.lsp.buf_attach_client(hover_buf, client_id)
  result.hover = hover(hover_buf, hover_line, hover_col)
  -- the hover file is valid: the server publishes no errors for it (lint hints may come)
  local hover_uri = vim.uri_from_bufnr(hover_buf)
  vim.wait(15000, function() return published[hover_uri] ~= nil end, 50)
  result.hover_errors = published[hover_uri] or -1

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)
if not ok then table.insert(result.errors, tostring(err)) end
finish()
