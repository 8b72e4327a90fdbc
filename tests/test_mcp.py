"""The MCP server (launch(mcp_server=True)): its tools are exactly the public endpoints, each described with its
arguments, and a tool call goes through the same queue and checks as the API (offline: the app on localhost)."""

from __future__ import annotations

import asyncio
import io
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from PIL import Image

from app import launch_kwargs

PUBLIC = {"models", "generate", "interpolate", "interpolate_gif", "nearest", "family_vanilla", "family_vae",
          "family_lapgan", "family_superres", "family_pix2pix", "family_cyclegan", "family_pix2pix_twemoji",
          "family_text", "family_text_interpolate", "train_image_gan", "train_sine", "sweep_sine"}


def _session(app_url: str, work):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with streamable_http_client(app_url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    # In a thread of its own: another test's event loop may still run in this one (playwright's sync API).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_the_app_launches_with_the_mcp_server():
    assert launch_kwargs()["mcp_server"] is True


def test_the_tools_are_the_public_endpoints_each_described(app_url):
    async def work(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in _session(app_url, work)}
    assert set(tools) == PUBLIC  # no page event (explore_render, train_image_ui, ...) is a tool
    for name, tool in tools.items():
        assert tool.description and len(tool.description) > 30, name
    generate = tools["generate"].inputSchema
    assert generate["required"] == ["model", "seed"]  # the rest have defaults
    assert generate["properties"]["edits"]["type"] == "object"  # a valid JSON Schema (gr.JSON's is not)
    assert all(p.get("description") for p in generate["properties"].values())


def test_a_tool_call_draws_and_a_bad_one_gets_the_message(app_url):
    async def work(session):
        good = await session.call_tool("generate", {"model": "dcgan-animals", "seed": 3, "n": 4,
                                                    "edits": {"pc0": 2.0}})
        bad = await session.call_tool("generate", {"model": "no-such-model", "seed": 3})
        huge = await session.call_tool("generate", {"model": "dcgan-animals", "seed": 3, "n": 10**6})
        return good, bad, huge

    good, bad, huge = _session(app_url, work)
    assert not good.isError
    text = " ".join(getattr(c, "text", "") for c in good.content)
    url = re.search(r"'url': '([^']+\.png)'", text).group(1)
    image = Image.open(io.BytesIO(httpx.get(url, timeout=30).content))
    assert image.size[0] > 2 * 28  # a 2x2 grid of 28 px samples
    assert "'pc0': 2.0" in text  # the info names the edit that was applied
    assert bad.isError and "Unknown model 'no-such-model'" in bad.content[0].text
    assert huge.isError and "n must be one of (1, 4, 9, 16), got 1000000." in huge.content[0].text
