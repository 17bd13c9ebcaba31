const PARAMETERS = ["front", "left", "right", "up", "down", "eyes open", "eyes closed", "mouth open", "mouth closed"];
const $ = (id) => document.getElementById(id);
let images = [];

$("token").value = sessionStorage.getItem("livenessd-token") || "";
$("token").addEventListener("change", () => sessionStorage.setItem("livenessd-token", $("token").value));

$("files").addEventListener("change", async (ev) => {
  images = [];
  $("rows").replaceChildren();
  for (const file of ev.target.files) {
    const dataURL = await new Promise((ok, fail) => {
      const r = new FileReader();
      r.onload = () => ok(r.result);
      r.onerror = () => fail(r.error);
      r.readAsDataURL(file);
    });
    const row = document.createElement("div");
    row.className = "row";
    const img = document.createElement("img");
    img.src = dataURL;
    img.alt = file.name;
    const select = document.createElement("select");
    for (const p of PARAMETERS) select.add(new Option(p, p));
    const name = document.createElement("span");
    name.textContent = file.name;
    row.append(img, select, name);
    $("rows").append(row);
    images.push({ dataURL, select });
  }
  $("send").disabled = images.length === 0;
});

$("send").addEventListener("click", async () => {
  $("send").disabled = true;
  $("verdict").textContent = "Checking…";
  const body = {
    trx_id: "demo-" + Date.now(),
    spoof_detection: $("spoof").checked,
    face_parameters: images.map((i) => i.select.value),
    images: images.map((i) => i.dataURL),
  };
  try {
    const resp = await fetch("/liveness-api/verify-face-liveness", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accesstoken": $("token").value.trim() },
      body: JSON.stringify(body),
    });
    const out = await resp.json();
    $("raw").textContent = JSON.stringify(out, null, 2);
    show(out);
  } catch (err) {
    $("verdict").textContent = "Request failed: " + err;
  } finally {
    $("send").disabled = false;
  }
});

function show(out) {
  const tbody = $("results").querySelector("tbody");
  tbody.replaceChildren();
  if (out.status !== "200") {
    $("verdict").textContent = "Error " + out.status + ": " + out.status_message;
    $("results").hidden = true;
    return;
  }
  $("verdict").innerHTML = "";
  const v = document.createElement("span");
  v.className = out.liveness;
  v.textContent = "Liveness " + out.liveness;
  $("verdict").append(v, ` — ${out.passed_images} of ${Object.keys(out.results).length} images passed (needed ${out.success_threshold})`);
  Object.keys(out.results).forEach((key, i) => {
    const r = out.results[key];
    const cells = [
      i + 1, r.face_parameter, r.passed ? "yes" : "no",
      r.face_detected ? `${r.yaw} / ${r.pitch}` : "no face",
      r.face_detected ? `L ${r.left_eye}, R ${r.right_eye} / ${r.mouth}` : "",
      r.spoof ? `${r.spoof} (${r.spoof_score})` : "off",
      r.similarity, (r.reasons || []).join("; "),
    ];
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.append(td);
    }
    tbody.append(tr);
  });
  $("results").hidden = false;
}
