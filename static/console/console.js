// When an htmx request fails, say so where people look for news instead of leaving the page silent.
var PROBLEMS = {
  403: "You cannot do that with your role.",
  404: "That record no longer exists. Reload the page to see the current state.",
};

document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  showProblem(PROBLEMS[status] ||
    "Something went wrong on our side (" + status + "). Reload the page to see the current state, then try again.");
});
document.addEventListener("htmx:sendError", function () {
  showProblem("The server could not be reached. Check the connection and try again.");
});

function showProblem(text) {
  var box = document.getElementById("messages");
  if (!box) { return; }
  var notice = document.createElement("p");
  notice.className = "notice notice--error";
  notice.setAttribute("role", "alert");
  notice.textContent = text;
  box.replaceChildren(notice);
}
