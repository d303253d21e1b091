
function printHello(){
	for(var i = 0; i<10; i++){
		console.log("Hello World: " + i);
	}
}

/*
* Main
*/
printHello();
process.exit();
